import { generateKeyPairSync } from "node:crypto";
import { createReadStream, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PassThrough, type Writable } from "node:stream";
import { stringify } from "yaml";
import { loadConfig } from "../../config/load-config.js";
import type { ConfigInput } from "../../config/schema.js";
import { applyAllowlistBody } from "../../daemon/allowlist/apply-body.js";
import { SqliteAllowlistStore } from "../../daemon/allowlist/sqlite-allowlist-store.js";
import { startDaemon } from "../../daemon/daemon.js";
import type { ScanOutcome } from "../../daemon/gate/gate.js";
import { Journal } from "../../daemon/journal/journal.js";
import type { Logger } from "../../daemon/log/logger.js";
import type { Clock } from "../../daemon/ports/clock.js";
import { openDatabase } from "../../daemon/store/database.js";
import { encodeEd25519Token, encodeTotpToken, totpValue } from "../phone/pg1-encoder.js";
import { signedAllowlist } from "../registry/signed-allowlist.js";
import { type DemoPerson, demoPopulation } from "./demo-population.js";

export interface DemoOptions {
  /** Where the demo site is written; emptied first. */
  readonly dir: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where the table of decisions is printed. */
  readonly out: Writable;
}

export interface DemoRow {
  readonly scene: string;
  readonly result: string;
  readonly reason: string;
  readonly flags: readonly string[];
  readonly micros: number;
}

export interface DemoSummary {
  readonly rows: readonly DemoRow[];
  readonly journalOk: boolean;
  readonly journalEntries: number;
  readonly configPath: string;
}

const REGISTRY_KEY_ID = "demo-registry";

/**
 * The one-command demo: a registry signs an allowlist for a small campus, the gate
 * imports it, and phones show codes at the gate's reader: valid ones, a screenshot
 * replayed, an old code, a forged one, suspended and revoked people, a contractor with
 * no rule, a leaflet's QR code. Each decision is journaled and printed; then the
 * journal's hash chain is verified. Everything runs in this process on real parts
 * (SQLite, the real verifier and policy); only the phones and the registry are simulated.
 */
export async function runCampusDemo(options: DemoOptions): Promise<DemoSummary> {
  const { clock, out } = options;
  const dir = resolve(options.dir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  const registry = generateKeyPairSync("ed25519");
  const people = demoPopulation(clock.now());
  const allowlistPath = join(dir, "allowlist.ndjson");
  writeFileSync(
    allowlistPath,
    signedAllowlist(
      {
        site: "demo-campus",
        kind: "snapshot",
        from: null,
        to: 1,
        issuedAt: new Date(clock.now()).toISOString(),
        count: people.length,
      },
      people.map((p) => ({ type: "put" as const, credential: p.credential })),
      { keyId: REGISTRY_KEY_ID, privateKey: registry.privateKey },
    ),
  );

  const configPath = join(dir, "passgate.yaml");
  writeFileSync(configPath, demoConfigYaml(registry.publicKey.export({ format: "jwk" }).x as string));
  const config = loadConfig(configPath);

  const importDb = openDatabase(config.storage.path);
  const imported = await applyAllowlistBody(
    SqliteAllowlistStore.open(importDb),
    createReadStream(allowlistPath),
    {
      site: config.site,
      trustedKeys: config.registry?.trustedKeys ?? {},
      now: clock.now(),
    },
  );
  importDb.close();
  if (!imported.ok) throw new Error(`demo allowlist refused: ${imported.reason}: ${imported.message}`);
  out.write(
    `demo site written to ${dir}\nallowlist v1 imported: ${people.length} credentials, signed by ${REGISTRY_KEY_ID}\n\n`,
  );

  const stdin = new PassThrough();
  let waiting: ((o: ScanOutcome) => void) | undefined;
  const daemon = await startDaemon(config, {
    stdin,
    logger: options.logger,
    clock,
    onDecision: (outcome) => waiting?.(outcome),
  });
  const show = (text: string) =>
    new Promise<ScanOutcome>((resolveScan) => {
      waiting = resolveScan;
      stdin.write(`${text}\n`);
    });

  const byId = new Map(people.map((p) => [p.credential.id, p]));
  const person = (id: string) => byId.get(id) as DemoPerson;
  const step = () => Math.floor(clock.now() / 30_000);
  const ivanova = token(person("1001"), step());
  const forger = generateKeyPairSync("ed25519");
  const scenes: [string, () => string][] = [
    ["Иванова (student and staff) shows her phone", () => ivanova],
    ["Петров (staff, TOTP app) shows his phone", () => token(person("42"), step())],
    ["someone shows a screenshot of Иванова's code", () => ivanova],
    ["a pupil whose guardian gets passage notices", () => token(person("2001"), step())],
    ["a visitor registered for today", () => token(person("3001"), step())],
    ["yesterday's visitor comes back", () => token(person("3002"), step())],
    ["a suspended student", () => token(person("1002"), step())],
    ["a revoked student", () => token(person("1003"), step())],
    ["a contractor: no rule admits contractors here", () => token(person("4001"), step())],
    ["Петров shows a code from 2 minutes ago", () => token(person("42"), step() - 4)],
    [
      "a code for Иванова forged with another key",
      () => encodeEd25519Token("1001", step(), forger.privateKey),
    ],
    [
      "a code for a credential the registry never issued",
      () => encodeEd25519Token("999999", step(), forger.privateKey),
    ],
    ["a leaflet's QR code", () => "https://example.edu/open-day"],
    ["Иванова again, next code, without having left", () => token(person("1001"), step() + 1)],
  ];

  const rows: DemoRow[] = [];
  out.write(`${pad("#", 3)}${pad("scene", 52)}${pad("result", 9)}${pad("reason", 30)}µs\n`);
  for (const [i, [scene, makeText]] of scenes.entries()) {
    const outcome = await show(makeText());
    const { decision } = outcome;
    const row = {
      scene,
      result: decision.result,
      reason: decision.reason,
      flags: decision.flags,
      micros: outcome.micros,
    };
    rows.push(row);
    const flags = row.flags.length > 0 ? ` [${row.flags.join(",")}]` : "";
    out.write(
      `${pad(String(i + 1), 3)}${pad(scene, 52)}${pad(row.result, 9)}${pad(row.reason + flags, 30)}${Math.round(row.micros)}\n`,
    );
  }
  stdin.end();
  await daemon.stop();

  const db = openDatabase(config.storage.path, { readonly: true });
  const report = Journal.open(db).verify();
  db.close();
  out.write(
    "\nµs: from scan text to the committed journal entry (the first scans include start-up warm-up)\n" +
      `journal: ${report.entries} entries, hash chain ${report.ok ? "verified" : "BROKEN"}\n` +
      `try:  passgate --config ${configPath} journal tail\n` +
      `      passgate --config ${configPath} allowlist stats\n`,
  );
  return { rows, journalOk: report.ok, journalEntries: report.entries, configPath };
}

function token(person: DemoPerson, step: number): string {
  const { credential, phone } = person;
  return phone.scheme === "ed25519"
    ? encodeEd25519Token(credential.id, step, phone.privateKey)
    : encodeTotpToken(credential.id, step, totpValue(phone.totp, step));
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text.slice(0, width - 2)}… ` : text.padEnd(width);
}

function demoConfigYaml(registryPublicKey: string): string {
  const config: ConfigInput = {
    site: "demo-campus",
    gate: "main-1",
    timezone: "Europe/Moscow",
    storage: { path: "./passgate.db" },
    registry: { url: "http://127.0.0.1:8787", trustedKeys: { [REGISTRY_KEY_ID]: registryPublicKey } },
    readers: [{ id: "in", direction: "in", source: { type: "stdin" } }],
    relays: [{ id: "turnstile", reader: "in", driver: { type: "log" }, pulse: "1s" }],
    policy: {
      zone: "campus",
      rules: [
        { name: "staff", roles: ["staff"] },
        { name: "students", roles: ["student"] },
        { name: "visitors", roles: ["visitor"], minAssurance: "standard", directions: ["in"] },
      ],
      antiPassback: { mode: "soft" },
      lockout: { attempts: 5, within: "10m", lockFor: "15m" },
    },
  };
  return `# The demo gate, written by \`passgate demo\`. See config/example.yaml for every option.\n${stringify(config)}`;
}
