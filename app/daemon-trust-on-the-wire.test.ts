import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import type { MqttClient } from "mqtt";
import { describe, expect, it } from "vitest";
import { type Config, configSchema } from "../config/schema.js";
import { EXAMPLE_SITE } from "../daemon/allowlist/testing/test-bodies.js";
import { Journal } from "../daemon/journal/journal.js";
import { waitUntil } from "../daemon/mqtt/testing/mosquitto.js";
import { publicKeyText } from "../daemon/trust/key-file.js";
import { NonceWindow } from "../daemon/trust/nonce-window.js";
import { Roster } from "../daemon/trust/roster.js";
import type { RosterMember } from "../daemon/trust/roster-member.js";
import { signMessage, verifyMessage } from "../daemon/trust/signed-message.js";
import { systemClock } from "../platform/clock.js";
import { openDatabase } from "../platform/database/database.js";
import { createLogger } from "../platform/log/logger.js";
import { TasmotaEmulator } from "../sim/devices/tasmota-emulator.js";
import { startDaemon } from "./gate-app.js";
import { brokerPerFile, cleanupsPerTest } from "./testing/broker-per-file.js";
import { nowStep, prepareExampleDatabase, staffToken, watchTopics } from "./testing/mqtt-gate-fixture.js";

const logger = createLogger({ level: "silent" });

const broker = brokerPerFile();
const cleanups = cleanupsPerTest();

let gates = 0;
/** A gate as configs were before signed messages: no `trust:` section; `members` in its roster. */
async function gateSetup(options: {
  members?: (gate: string) => readonly RosterMember[];
  reader?: "stdin" | "bridge";
  acceptUnsigned?: boolean;
  /** Gives the gate a signing key (trust.keyFile), as `passgate init` does. */
  withKey?: boolean;
}) {
  gates++;
  const gate = `wire-${gates}`;
  const dir = mkdtempSync(join(tmpdir(), "passgate-wire-"));
  const gateKey = generateKeyPairSync("ed25519");
  const keyFile = join(dir, "gate.key");
  writeFileSync(keyFile, gateKey.privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
  const config = configSchema.parse({
    site: EXAMPLE_SITE,
    gate,
    timezone: "Europe/Moscow",
    storage: { path: join(dir, "gate.db") },
    mqtt: { url: broker.url, reconnectMin: "100ms", reconnectMax: "400ms", confirmTimeout: "1500ms" },
    readers: [{ id: "in", direction: "in", source: { type: options.reader ?? "stdin" } }],
    relays: [
      { id: "turnstile", reader: "in", driver: { type: "tasmota", topic: `ts-${gate}` }, pulse: "1s" },
    ],
    policy: { rules: [{ name: "staff", roles: ["staff"] }], antiPassback: { mode: "hard" } },
    trust: {
      ...(options.acceptUnsigned === true ? { acceptUnsigned: true } : {}),
      ...(options.withKey === true ? { keyFile } : {}),
    },
  });
  await prepareExampleDatabase(config, options.members?.(gate) ?? []);
  const device = new TasmotaEmulator(`ts-${gate}`);
  await device.start(broker.url);
  cleanups.push(() => device.stop());
  const stdin = new PassThrough();
  const daemon = await startDaemon(config, { stdin, logger, clock: systemClock });
  cleanups.push(async () => {
    stdin.end();
    await daemon.stop();
  });
  const base = `passgate/${EXAMPLE_SITE}/${gate}`;
  const member: RosterMember = {
    id: `gate:${gate}`,
    kind: "gate",
    gate,
    publicKey: publicKeyText(gateKey.publicKey),
    status: "active",
  };
  return { config, gate, base, device, stdin, daemon, member };
}

/** A client of the site's broker, with no account and no key: anyone in the corridor. */
async function anonymous(
  base: string,
): Promise<{ client: MqttClient; seen: { topic: string; text: string }[] }> {
  const { client, messages } = await watchTopics(broker.url, `${base}/#`);
  cleanups.push(() => client.endAsync());
  return { client, seen: messages };
}

function journalOf(config: Config) {
  const db = openDatabase(config.storage.path, { readonly: true });
  try {
    return Journal.open(db).tail(1000);
  } finally {
    db.close();
  }
}

async function statusOf(client: MqttClient, seen: { topic: string; text: string }[], base: string) {
  const before = seen.filter((m) => m.topic === `${base}/response/status`).length;
  await client.publishAsync(`${base}/request/status`, "");
  await waitUntil(
    () => seen.filter((m) => m.topic === `${base}/response/status`).length > before,
    "the status answer",
  );
  const answers = seen.filter((m) => m.topic === `${base}/response/status`);
  return JSON.parse(answers[answers.length - 1]?.text ?? "{}") as {
    data: { mode: string; trustRefusals: Record<string, number> };
  };
}

describe("a gate configured before signed messages, and an anonymous client on a broker without ACLs", () => {
  it("no pulse, no mode change, no replay or passage record that denies anyone; the gate keeps deciding", async () => {
    const { config, base, device, stdin } = await gateSetup({});
    const { client, seen } = await anonymous(base);
    const site = `passgate/${EXAMPLE_SITE}`;
    const forger = generateKeyPairSync("ed25519").privateKey;
    const step = nowStep();

    await client.publishAsync(`${base}/request/pulse`, JSON.stringify({ relay: "turnstile" }));
    await client.publishAsync(`${base}/request/mode`, JSON.stringify({ mode: "free" }));
    await client.publishAsync(`${base}/request/mode`, JSON.stringify({ mode: "lockdown" }));
    // A request signed by a key the site never heard of, claiming an operator's name.
    const forged = signMessage({
      topic: `${base}/request/mode`,
      signer: "operator:admin",
      privateKey: forger,
      body: { mode: "free" },
      at: Date.now(),
    });
    await client.publishAsync(`${base}/request/mode`, JSON.stringify(forged));
    // The next day's codes of person p-0042 marked used until the year 3000, on the old
    // site-wide topic and on another gate's own, unsigned and signed by a stranger.
    const year3000 = Date.parse("3000-01-01T00:00:00Z");
    for (let s = step - 1; s < step + 40; s++) {
      const pair = { gate: "other", credential: "42", step: s, expiresAt: year3000 };
      await client.publishAsync(`${site}/shared/replay`, JSON.stringify(pair));
      await client.publishAsync(`${site}/shared/other/replay`, JSON.stringify(pair));
      const signed = signMessage({
        topic: `${site}/shared/other/replay`,
        signer: "gate:other",
        privateKey: forger,
        body: pair,
        at: Date.now(),
      });
      await client.publishAsync(`${site}/shared/other/replay`, JSON.stringify(signed));
    }
    // An entry in the year 3000: anti-passback would deny the person's next entry forever.
    const passage = { gate: "other", person: "p-0042", zone: "campus", direction: "in", at: year3000 };
    await client.publishAsync(`${site}/shared/passage`, JSON.stringify(passage));
    await client.publishAsync(`${site}/shared/other/passage`, JSON.stringify(passage));
    // Scans posted as if from a reader bridge.
    await client.publishAsync(
      `${base}/reader/in/scan`,
      JSON.stringify({ reader: "in", text: staffToken(step), scannedAt: Date.now(), seq: 1 }),
    );

    const status = await statusOf(client, seen, base);
    expect(status.data.mode).toBe("normal");
    expect(status.data.trustRefusals).toMatchObject({
      "request-pulse:unsigned": 1,
      "request-mode:unsigned": 2,
      "request-mode:unknown_signer": 1,
      "shared-replay:unsigned": 41,
      "shared-replay:unknown_signer": 41,
      "shared-passage:unsigned": 1,
    });
    expect(device.opens).toHaveLength(0);
    expect(seen.filter((m) => m.topic.includes("/response/") && !m.topic.endsWith("/status"))).toEqual([]);

    // The person passes, once; the gate still decides.
    stdin.write(`${staffToken(step)}\n`);
    await waitUntil(() => device.opens.length === 1, "the turnstile to open for the person");
    stdin.write(`${staffToken(step)}\n`);
    await waitUntil(
      () => journalOf(config).filter((e) => e.kind === "decision").length === 2,
      "two decisions",
    );
    const decisions = journalOf(config).filter((e) => e.kind === "decision");
    expect(decisions.map((e) => `${e.result}:${e.reason}`)).toEqual(["granted:ok", "denied:replayed"]);
    expect(journalOf(config).filter((e) => e.kind === "mode")).toEqual([]);
    expect(device.opens).toHaveLength(1);
  });
});

describe("trust.acceptUnsigned, the switch for migrating site records", () => {
  it("never makes an unsigned request or bridged scan count", async () => {
    const { base, device, config } = await gateSetup({ acceptUnsigned: true, reader: "bridge" });
    const { client, seen } = await anonymous(base);
    await client.publishAsync(`${base}/request/pulse`, JSON.stringify({ relay: "turnstile" }));
    await client.publishAsync(`${base}/request/mode`, JSON.stringify({ mode: "free" }));
    // The bridge reader subscribes as the gate starts: post until the gate has heard one.
    let status = await statusOf(client, seen, base);
    for (let seq = 0; status.data.trustRefusals["bridge-scan:unsigned"] === undefined; seq++) {
      if (seq > 50) throw new Error("the gate never heard the reader's topic");
      const scan = { reader: "in", text: staffToken(nowStep()), scannedAt: Date.now(), seq };
      await client.publishAsync(`${base}/reader/in/scan`, JSON.stringify(scan));
      status = await statusOf(client, seen, base);
    }
    expect(status.data.mode).toBe("normal");
    expect(status.data.trustRefusals).toMatchObject({
      "request-pulse:unsigned": 1,
      "request-mode:unsigned": 1,
    });
    expect(device.opens).toHaveLength(0);
    expect(journalOf(config).filter((e) => e.kind === "decision" || e.kind === "mode")).toEqual([]);
  });
});

describe("scans from a reader bridge", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const bridge = (gate: string): RosterMember => ({
    id: "bridge:lane-1",
    kind: "bridge",
    gate,
    readers: ["in"],
    publicKey: publicKeyText(publicKey),
    status: "active",
  });
  let seq = 0;
  const scanFrom = (topic: string, text: string, scannedAt = Date.now()) =>
    JSON.stringify(
      signMessage({
        topic,
        signer: "bridge:lane-1",
        privateKey,
        body: { reader: "in", text, scannedAt, seq: ++seq },
        at: Date.now(),
      }),
    );

  it("are decided like local ones when the gate's bridge signed them; a late one is journaled stale_scan and opens nothing", async () => {
    const { config, base, device, member } = await gateSetup({
      members: (gate) => [bridge(gate)],
      reader: "bridge",
      withKey: true,
    });
    const { client, seen } = await anonymous(base);
    const topic = `${base}/reader/in/scan`;
    const step = nowStep();
    // The reader subscribes as the gate starts: send the late scan until the gate hears one.
    for (let i = 0; !journalOf(config).some((e) => e.reason === "stale_scan"); i++) {
      if (i > 50) throw new Error("the gate never heard the bridge's topic");
      await client.publishAsync(topic, scanFrom(topic, staffToken(step), Date.now() - 3_000));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await client.publishAsync(topic, scanFrom(topic, staffToken(step)));
    await waitUntil(() => device.opens.length === 1, "the turnstile to open");
    await client.publishAsync(
      topic,
      JSON.stringify({ reader: "in", text: staffToken(step + 1), scannedAt: Date.now(), seq: 99 }),
    );
    const status = await statusOf(client, seen, base);
    expect(status.data.trustRefusals).toMatchObject({ "bridge-scan:unsigned": 1 });

    const decisions = journalOf(config).filter((e) => e.kind === "decision");
    const late = decisions.filter((e) => e.reason === "stale_scan");
    expect(late.length).toBeGreaterThan(0);
    expect(
      late.every((e) => e.result === "denied" && e.data.bridge === "bridge:lane-1" && e.credential === null),
    ).toBe(true);
    expect(
      decisions.slice(late.length).map((e) => [e.result, e.reason, e.data.bridge, e.credential]),
    ).toEqual([["granted", "ok", "bridge:lane-1", "42"]]);
    expect(device.opens).toHaveLength(1);
    // The display beside the turnstile is told each result.
    const feedback = seen
      .filter((m) => m.topic === `${base}/reader/in/feedback`)
      .map((m) => JSON.parse(m.text));
    expect(feedback.map((f) => f.reason).slice(-1)).toEqual(["ok"]);
    expect(feedback.map((f) => f.reason)).toContain("stale_scan");
    // The bridge is answered each scan, signed by the gate, with the scan's number.
    const answers = seen
      .filter((m) => m.topic === `${base}/reader/in/answer`)
      .map((m) =>
        verifyMessage(m.topic, m.text, {
          roster: new Roster([member]),
          kinds: ["gate"],
          now: Date.now(),
          nonces: new NonceWindow(60_000),
        }),
      );
    expect(answers.every((a) => a.ok)).toBe(true);
    const last = answers.at(-1);
    expect(last?.ok === true ? last.body : undefined).toMatchObject({
      reader: "in",
      seq,
      result: "granted",
      reason: "ok",
      text: { en: expect.any(String), ru: expect.any(String) },
    });
  });
});
