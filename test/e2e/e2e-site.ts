import { createHash, createPrivateKey, createPublicKey, type KeyObject, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync, type MqttClient } from "mqtt";
import { openGateDatabase } from "../../app/gate-database.js";
import {
  EXAMPLE_KEY_ID,
  EXAMPLE_TRUST,
  RFC_TEST2_PRIVATE,
} from "../../daemon/allowlist/testing/test-bodies.js";
import { publicKeyText } from "../../daemon/trust/key-file.js";
import type { RosterMember } from "../../daemon/trust/roster-member.js";
import { RosterStore } from "../../daemon/trust/roster-store.js";
import { encodeEd25519Token, encodeTotpToken, totpValue } from "../../daemon/verify/pg1-encoder.js";
import { RegistryServer } from "../../sim/registry/registry-server.js";
import { SocatPty } from "../../sim/scanners/socat-pty.js";
import type { DemoPerson } from "./demo-population.js";
import { GateProcess } from "./gate-process.js";

/** The site of every end-to-end gate. */
export const SITE = "demo-campus";

/** The current PG1 time step (30 s). */
export const nowStep = (): number => Math.floor(Date.now() / 30_000);

/** The code `person`'s phone shows at `step`, made as the mobile app makes it. */
export function phoneCode(person: DemoPerson, step: number): string {
  const id = person.credential.id;
  return person.phone.scheme === "ed25519"
    ? encodeEd25519Token(id, step, person.phone.privateKey)
    : encodeTotpToken(id, step, totpValue(person.phone.totp, step));
}

/** An Ed25519 code for credential `id` signed by `key` (many cards of one test batch share a key). */
export const batchCode = (id: string, step: number, key: KeyObject): string =>
  encodeEd25519Token(id, step, key);

/**
 * The registry of the site over real HTTP on loopback, signing with the spec's test key,
 * and demanding a bearer token that the gates read from a file.
 */
export async function startSiteRegistry(): Promise<{
  registry: RegistryServer;
  url: string;
  bearer: string;
  tokenFile: string;
  /** Stops the server and removes the token file. */
  close(): Promise<void>;
}> {
  const bearer = randomBytes(16).toString("hex");
  const registry = new RegistryServer({
    site: SITE,
    token: bearer,
    keyId: EXAMPLE_KEY_ID,
    privateKey: RFC_TEST2_PRIVATE,
  });
  const url = await registry.start();
  const dir = mkdtempSync(join(tmpdir(), "passgate-e2e-registry-"));
  const tokenFile = join(dir, "registry-token");
  writeFileSync(tokenFile, `${bearer}\n`);
  const close = async () => {
    await registry.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  return { registry, url, bearer, tokenFile, close };
}

/** A barcode scanner on a real pty: the gate opens `readerPath`, the test types codes into the other end. */
export async function plugInScanner(dir: string): Promise<SocatPty> {
  const pty = new SocatPty(join(dir, "reader-tty"), join(dir, "scanner-tty"));
  await pty.plugIn();
  return pty;
}

/** Types `code` into the scanner, ending it with CR as a scanner set to the default suffix does. */
export async function scan(pty: SocatPty, code: string): Promise<void> {
  await pty.write(Buffer.from(`${code}\r`, "latin1"));
}

export interface GateOptions {
  readonly gate: string;
  readonly brokerUrl: string;
  readonly registry: { readonly url: string; readonly tokenFile: string };
  readonly readerPath: string;
  readonly relay: Record<string, unknown>;
  readonly pulse?: string;
  /** Extra keys under `mqtt:` (passage sensors, reconnect timings). */
  readonly mqtt?: Record<string, unknown>;
  /** Extra keys under `policy:` (anti-passback). */
  readonly policy?: Record<string, unknown>;
}

/**
 * A gate's config as an installer writes it: a serial scanner on the pty (no rate limit,
 * since the tests scan faster than a person can), one MQTT relay, the site's registry
 * (polled hourly, so only a push brings a change in time) and one rule for everyone.
 */
export function gateConfig(o: GateOptions): Record<string, unknown> {
  return {
    site: SITE,
    gate: o.gate,
    timezone: "Europe/Moscow",
    storage: { path: "./gate.db" },
    readers: [
      {
        id: "in",
        direction: "in",
        source: { type: "serial", path: o.readerPath, rateLimit: { scans: 0 }, duplicateWindow: "0ms" },
      },
    ],
    relays: [{ id: "turnstile", reader: "in", driver: o.relay, pulse: o.pulse ?? "1s" }],
    mqtt: { url: o.brokerUrl, reconnectMin: "100ms", reconnectMax: "200ms", ...o.mqtt },
    registry: {
      url: o.registry.url,
      tokenFile: o.registry.tokenFile,
      trustedKeys: EXAMPLE_TRUST,
      pollInterval: "1h",
    },
    policy: { rules: [{ name: "everyone", roles: ["student", "staff", "visitor"] }], ...o.policy },
  };
}

/**
 * A `passgate run` process with a scanner plugged in, started on `gateConfig` and waited on
 * until ready. If it never gets ready, the process and the pty are stopped before the error
 * goes on, so a failed start leaves nothing running.
 */
export async function startGate(
  o: Omit<GateOptions, "readerPath">,
): Promise<{ gate: GateProcess; pty: SocatPty }> {
  const gate = new GateProcess(o.gate);
  const pty = await plugInScanner(gate.dir);
  try {
    // The gate's own key, and the site's gates in its roster, as an installer sets it up.
    writeFileSync(join(gate.dir, "gate.key"), siteGateKey(o.gate).export({ format: "pem", type: "pkcs8" }), {
      mode: 0o600,
    });
    const db = openGateDatabase({ path: join(gate.dir, "gate.db"), synchronous: "normal" }, "write");
    try {
      const roster = RosterStore.open(db);
      for (const name of SITE_GATES) roster.addLocal(siteGateMember(name), Date.now());
    } finally {
      db.close();
    }
    await gate.start({
      ...gateConfig({ ...o, readerPath: pty.readerPath }),
      trust: { keyFile: "./gate.key" },
    });
    await gateReady(gate, o.relay.type !== "log");
  } catch (err) {
    await gate.stop();
    await pty.unplug();
    throw err;
  }
  return { gate, pty };
}

/**
 * Waits until `gate` has its scanner open, its first allowlist from the registry and its
 * relay board online (`relayBoard`: false for a `log` relay, which has none): the state a
 * gate is in before the first person arrives.
 */
export async function gateReady(gate: GateProcess, relayBoard = true): Promise<void> {
  await gate.waitForLog((l) => l.msg === "reader connected", "the serial reader open", 10_000);
  await gate.waitForLog((l) => /^allowlist \w+ v\d+ applied$/.test(l.msg ?? ""), "the first sync", 10_000);
  if (relayBoard)
    await gate.waitForLog((l) => l.msg === "relay board online", "the relay board online", 10_000);
}

/** The gates of the e2e site: each trusts the others' signed site records. */
export const SITE_GATES = ["gate-a", "gate-b"] as const;

/** A site gate's key, the same in every run (from its name), so each roster can list the others before they start. */
export function siteGateKey(gate: string): KeyObject {
  const seed = createHash("sha256").update(`passgate-e2e:${gate}`).digest();
  // PKCS#8 for an Ed25519 seed: a fixed 16-byte prefix, then the 32 seed bytes.
  return createPrivateKey({
    key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]),
    format: "der",
    type: "pkcs8",
  });
}

export function siteGateMember(gate: string): RosterMember {
  const publicKey = publicKeyText(createPublicKey(siteGateKey(gate)));
  return { id: `gate:${gate}`, kind: "gate", gate, publicKey, status: "active" };
}

/** The registry's side of the push (registry-sync.md): `{"to": V}` on `pg/registry/<site>/changed`. */
export async function registryPublisher(brokerUrl: string): Promise<{
  client: MqttClient;
  push(version: number): Promise<void>;
}> {
  const client = await connectAsync(brokerUrl, { protocolVersion: 5, clientId: "registry-e2e" });
  return {
    client,
    push: async (version) => {
      await client.publishAsync(`pg/registry/${SITE}/changed`, JSON.stringify({ to: version }), { qos: 1 });
    },
  };
}

/** Codes (or any secret) that appear in `gate`'s output, by index; [] when none leaked. */
export function leaked(gate: GateProcess, secrets: readonly string[]): number[] {
  const out = gate.raw.join("\n");
  const found: number[] = [];
  secrets.forEach((s, i) => {
    // The base45 payload is the secret part; the PG1: prefix alone says nothing.
    const body = s.startsWith("PG1:") ? s.slice(4) : s;
    if (out.includes(body)) found.push(i);
  });
  return found;
}
