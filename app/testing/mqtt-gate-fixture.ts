import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { createReadStream, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { connect, type MqttClient } from "mqtt";
import { type Config, configSchema } from "../../config/schema.js";
import { applyAllowlistBody } from "../../daemon/allowlist/apply-body.js";
import { SqliteAllowlistStore } from "../../daemon/allowlist/sqlite-allowlist-store.js";
import {
  chunked,
  EXAMPLE_PATH,
  EXAMPLE_SITE,
  EXAMPLE_TRUST,
  putLine,
  signedBody,
} from "../../daemon/allowlist/testing/test-bodies.js";
import { publicKeyText } from "../../daemon/trust/key-file.js";
import type { RosterMember } from "../../daemon/trust/roster-member.js";
import { RosterStore } from "../../daemon/trust/roster-store.js";
import { encodeEd25519Token, encodeTotpToken, totpValue } from "../../daemon/verify/pg1-encoder.js";
import { systemClock } from "../../platform/clock.js";
import { createLogger, type Logger } from "../../platform/log/logger.js";
import { type DaemonIo, type RunningDaemon, startDaemon } from "../gate-app.js";
import { openGateDatabase } from "../gate-database.js";

/** Gates built on the spec's example allowlist (site demo-campus), talking to a test broker. */
export const SITE = EXAMPLE_SITE;

const totp42 = { secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", algorithm: "SHA1" as const, digits: 8 as const };
/** RFC 8032 test 1: the phone key of credentials 1001, 1002 and 2001 in the example. */
const rfc8032Test1 = createPrivateKey({
  key: Buffer.from(
    "302e020100300506032b6570042204209d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    "hex",
  ),
  format: "der",
  type: "pkcs8",
});

/** Staff credential 42 (TOTP). */
export const staffToken = (step: number) => encodeTotpToken("42", step, totpValue(totp42, step));
/** Student credential 2001 (Ed25519), whose guardians are notified. */
export const studentToken = (step: number) => encodeEd25519Token("2001", step, rfc8032Test1);
/** Student and staff credential 1001 (Ed25519). */
export const token1001 = (step: number) => encodeEd25519Token("1001", step, rfc8032Test1);
export const nowStep = () => Math.floor(Date.now() / 30_000);

/**
 * Writes a gate's config (also as a file, for the CLI) with a signing key of its own
 * (`member`: its roster entry), creates its database with every component, as the CLI's
 * read-only commands expect, and imports the example allowlist.
 */
export async function exampleGate(
  raw: Record<string, unknown>,
): Promise<{ config: Config; file: string; member: RosterMember }> {
  const dir = mkdtempSync(join(tmpdir(), "passgate-mqtt-gate-"));
  const keyFile = join(dir, "gate.key");
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  writeFileSync(keyFile, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
  const full = {
    site: SITE,
    timezone: "Europe/Moscow",
    storage: { path: join(dir, "gate.db") },
    readers: [{ id: "in", direction: "in", source: { type: "stdin" } }],
    policy: { rules: [{ name: "everyone", roles: ["staff", "student"] }] },
    trust: { keyFile },
    ...raw,
  };
  const config = configSchema.parse(full);
  const file = join(dir, "passgate.yaml");
  writeFileSync(file, JSON.stringify(full));
  await prepareExampleDatabase(config);
  const gate = String(config.gate);
  const member: RosterMember = {
    id: `gate:${gate}`,
    kind: "gate",
    gate,
    publicKey: publicKeyText(publicKey),
    status: "active",
  };
  return { config, file, member };
}

/**
 * Creates the gate's database with every component, imports the example allowlist into it
 * and adds `members` to its roster as local entries (the site's operators, its gates).
 */
export async function prepareExampleDatabase(
  config: Config,
  members: readonly RosterMember[] = [],
): Promise<void> {
  const db = openGateDatabase(config.storage, "write");
  try {
    const imported = await applyAllowlistBody(SqliteAllowlistStore.open(db), createReadStream(EXAMPLE_PATH), {
      site: SITE,
      trustedKeys: EXAMPLE_TRUST,
      now: Date.now(),
    });
    if (!imported.ok) throw new Error(imported.message);
    const roster = RosterStore.open(db);
    for (const m of members) roster.addLocal(m, Date.now());
  } finally {
    db.close();
  }
}

/** Adds `members` to the gate's roster as local entries, as `passgate trust add` would. */
export function trustMembers(config: Config, members: readonly RosterMember[]): void {
  const db = openGateDatabase(config.storage, "write");
  try {
    const store = RosterStore.open(db);
    for (const m of members) store.addLocal(m, Date.now());
  } finally {
    db.close();
  }
}

/** An Ed25519 token of credential `id` signed with the example's phone key (credentials made by `putCredentials`). */
export const phoneToken = (id: string, step: number) => encodeEd25519Token(id, step, rfc8032Test1);

/**
 * Puts `credentials` (registry form, `registryCredential()`) into the gate's allowlist as a
 * signed delta on top of the example (version 7 → 8), as a sync would.
 */
export async function putCredentials(config: Config, credentials: readonly object[]): Promise<void> {
  const body = signedBody({ kind: "delta", from: 7, to: 8 }, credentials.map(putLine));
  const db = openGateDatabase(config.storage, "write");
  try {
    const applied = await applyAllowlistBody(SqliteAllowlistStore.open(db), chunked(body, 4096), {
      site: SITE,
      trustedKeys: EXAMPLE_TRUST,
      now: Date.now(),
    });
    if (!applied.ok) throw new Error(applied.message);
  } finally {
    db.close();
  }
}

/**
 * Starts the daemon with a stdin the test writes scans to. The clock's sync is "cannot
 * tell" unless `clockSync` is given, so a test machine's own NTP state changes no test.
 * The gate logs nothing unless given a `logger`.
 */
export async function runGate(
  config: Config,
  options: { readonly clockSync?: DaemonIo["clockSync"]; readonly logger?: Logger } = {},
): Promise<{ daemon: RunningDaemon; scan(text: string): void; stop(): Promise<void> }> {
  const stdin = new PassThrough();
  const daemon = await startDaemon(config, {
    stdin,
    logger: options.logger ?? createLogger({ level: "silent" }),
    clock: systemClock,
    clockSync: options.clockSync ?? { probe: async () => undefined },
  });
  return {
    daemon,
    scan: (text) => stdin.write(`${text}\n`),
    stop: async () => {
      stdin.end();
      await daemon.stop();
    },
  };
}

export interface Watched {
  readonly client: MqttClient;
  readonly messages: { topic: string; text: string }[];
  /** JSON payloads on `topic`. */
  json(topic: string): Record<string, unknown>[];
}

/** A client recording every message under `filter`, as a dashboard or notifier would. */
export async function watchTopics(url: string, filter: string): Promise<Watched> {
  const messages: { topic: string; text: string }[] = [];
  const client = connect(url, { protocolVersion: 5 });
  client.on("message", (topic, payload) => messages.push({ topic, text: payload.toString() }));
  await new Promise<void>((resolve) => client.once("connect", () => resolve()));
  await client.subscribeAsync(filter);
  return {
    client,
    messages,
    json: (topic) =>
      messages.filter((m) => m.topic === topic).map((m) => JSON.parse(m.text) as Record<string, unknown>),
  };
}
