import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PassThrough, type Writable } from "node:stream";
import { stringify } from "yaml";
import { loadConfig } from "../../config/load-config.js";
import type { ConfigInput } from "../../config/schema.js";
import { SqliteAllowlistStore } from "../../daemon/allowlist/sqlite-allowlist-store.js";
import { startDaemon } from "../../daemon/daemon.js";
import type { ScanOutcome } from "../../daemon/gate/gate.js";
import { Journal } from "../../daemon/journal/journal.js";
import type { Logger } from "../../daemon/log/logger.js";
import type { Clock } from "../../daemon/ports/clock.js";
import { openDatabase } from "../../daemon/store/database.js";
import { RegistryServer } from "../registry/registry-server.js";
import { demoPopulation } from "./demo-population.js";
import { demoScenes } from "./demo-scenes.js";

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
  readonly eventsUploaded: number;
  readonly configPath: string;
}

const REGISTRY_KEY_ID = "demo-registry";
const DEMO_SITE = "demo-campus";

/**
 * The one-command demo: a registry serves a signed allowlist for a small campus over
 * HTTP on loopback, the gate syncs it, and phones show codes at the gate's reader (see
 * demo-scenes.ts). Mid-way the registry revokes someone and pushes; the gate pulls at
 * once. Each decision is journaled and printed, the events are uploaded to the registry,
 * and the journal's hash chain is verified. Real parts throughout (HTTP, SQLite, the
 * verifier, the policy); only the phones and the registry are simulated.
 */
export async function runCampusDemo(options: DemoOptions): Promise<DemoSummary> {
  const { clock, out } = options;
  const dir = resolve(options.dir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  const registryKey = generateKeyPairSync("ed25519");
  const people = demoPopulation(clock.now());
  const registry = new RegistryServer({
    site: DEMO_SITE,
    token: null,
    keyId: REGISTRY_KEY_ID,
    privateKey: registryKey.privateKey,
    issuedAt: () => new Date(clock.now()).toISOString(),
  });
  registry.publish(people.map((p) => ({ type: "put" as const, credential: p.credential })));
  const registryUrl = await registry.start();

  const configPath = join(dir, "passgate.yaml");
  writeFileSync(
    configPath,
    demoConfigYaml(registryUrl, registryKey.publicKey.export({ format: "jwk" }).x as string),
  );
  const config = loadConfig(configPath);

  const stdin = new PassThrough();
  let waiting: ((o: ScanOutcome) => void) | undefined;
  const daemon = await startDaemon(config, {
    stdin,
    logger: options.logger,
    clock,
    onDecision: (outcome) => waiting?.(outcome),
  });
  const storeDb = openDatabase(config.storage.path);
  const allowlist = SqliteAllowlistStore.open(storeDb);
  try {
    await waitFor(() => allowlist.stats().version === 1, "the first sync");
    out.write(
      `demo site written to ${dir}\n` +
        `registry at ${registryUrl}: allowlist v1 synced, ${allowlist.stats().count} credentials signed by ${REGISTRY_KEY_ID}\n\n`,
    );
    const show = (text: string) =>
      new Promise<ScanOutcome>((resolveScan) => {
        waiting = resolveScan;
        stdin.write(`${text}\n`);
      });

    const rows: DemoRow[] = [];
    out.write(`${pad("#", 3)}${pad("scene", 54)}${pad("result", 9)}${pad("reason", 30)}µs\n`);
    const step = () => Math.floor(clock.now() / 30_000);
    for (const [i, scene] of demoScenes(people, step).entries()) {
      if (scene.registryChange !== undefined) {
        const version = registry.publish([{ type: "put", credential: scene.registryChange.credential }]);
        daemon.requestSync();
        await waitFor(() => allowlist.stats().version === version, `allowlist v${version}`);
      }
      const outcome = await show(scene.text());
      const { decision } = outcome;
      const row = {
        scene: scene.scene,
        result: decision.result,
        reason: decision.reason,
        flags: decision.flags,
        micros: outcome.micros,
      };
      rows.push(row);
      const flags = row.flags.length > 0 ? ` [${row.flags.join(",")}]` : "";
      out.write(
        `${pad(String(i + 1), 3)}${pad(row.scene, 54)}${pad(row.result, 9)}${pad(row.reason + flags, 30)}${Math.round(row.micros)}\n`,
      );
    }
    await waitFor(() => registry.events.size >= rows.length, "the event upload");
    stdin.end();
    await daemon.stop();

    const db = openDatabase(config.storage.path, { readonly: true });
    const report = Journal.open(db).verify();
    db.close();
    out.write(
      "\nµs: from scan text to the committed journal entry (the first scans include start-up warm-up)\n" +
        `registry received ${registry.events.size} events (no scan text in them)\n` +
        `journal: ${report.entries} entries, hash chain ${report.ok ? "verified" : "BROKEN"}\n` +
        `try:  passgate --config ${configPath} journal tail\n` +
        `      passgate --config ${configPath} allowlist stats\n`,
    );
    return {
      rows,
      journalOk: report.ok,
      journalEntries: report.entries,
      eventsUploaded: registry.events.size,
      configPath,
    };
  } finally {
    storeDb.close();
    await daemon.stop();
    await registry.stop();
  }
}

/** Polls `done` every 20 ms for up to 10 s of real time. */
async function waitFor(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`demo: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text.slice(0, width - 2)}… ` : text.padEnd(width);
}

function demoConfigYaml(registryUrl: string, registryPublicKey: string): string {
  const config: ConfigInput = {
    site: DEMO_SITE,
    gate: "main-1",
    timezone: "Europe/Moscow",
    storage: { path: "./passgate.db" },
    registry: { url: registryUrl, trustedKeys: { [REGISTRY_KEY_ID]: registryPublicKey } },
    sync: { uploadInterval: "200ms" },
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
