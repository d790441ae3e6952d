/**
 * A reader bridge beside a turnstile and its gate, each a real process, as deployed:
 * a serial scanner on a socat pty → `passgate bridge run` → a real mosquitto → `passgate
 * run` with a Tasmota relay emulator. Paired the way facilities staff pair one: `bridge
 * init` on the board, `bridge pair --json`, `trust add --record` at the gate.
 */
import { generateKeyPairSync } from "node:crypto";
import { createReadStream, readFileSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { openGateDatabase } from "../../app/gate-database.js";
import { applyAllowlistBody } from "../../daemon/allowlist/apply-body.js";
import { SqliteAllowlistStore } from "../../daemon/allowlist/sqlite-allowlist-store.js";
import { EXAMPLE_PATH, EXAMPLE_SITE, EXAMPLE_TRUST } from "../../daemon/allowlist/testing/test-bodies.js";
import { freeLoopbackPort, TestMosquitto, waitUntil } from "../../daemon/mqtt/testing/mosquitto.js";
import { readKeyFile } from "../../daemon/trust/key-file.js";
import { signMessage } from "../../daemon/trust/signed-message.js";
import { encodeTotpToken, totpValue } from "../../daemon/verify/pg1-encoder.js";
import { TasmotaEmulator } from "../../sim/devices/tasmota-emulator.js";
import type { SocatPty } from "../../sim/scanners/socat-pty.js";
import { runCli } from "../run-cli.js";
import { plugInScanner, scan, siteGateKey, siteGateMember } from "./e2e-site.js";
import { GateProcess } from "./gate-process.js";

const totp42 = { secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", algorithm: "SHA1" as const, digits: 8 as const };
const token42 = (step: number) => encodeTotpToken("42", step, totpValue(totp42, step));
const nowStep = () => Math.floor(Date.now() / 30_000);
const GATE = "gate-br";
const GRANTED = "\x06OK";
const DENIED = "\x15NO";

let broker: TestMosquitto;
let board: TasmotaEmulator;
let gate: GateProcess;
let bridge: GateProcess;
let pty: SocatPty;
let watcher: MqttClient;
/** Bytes the bridge wrote back to the scanner (its beeper), as they arrived. */
const played: { text: string; at: number }[] = [];
let reading = true;
let httpPort: number;

beforeAll(async () => {
  broker = await TestMosquitto.start();
  board = new TasmotaEmulator("ts-br");
  await board.start(broker.url);
  watcher = await connectAsync(broker.url, { protocolVersion: 5 });

  gate = new GateProcess(GATE);
  httpPort = await freeLoopbackPort();
  writeFileSync(join(gate.dir, "gate.key"), siteGateKey(GATE).export({ format: "pem", type: "pkcs8" }), {
    mode: 0o600,
  });
  const db = openGateDatabase({ path: join(gate.dir, "gate.db"), synchronous: "normal" }, "write");
  const imported = await applyAllowlistBody(SqliteAllowlistStore.open(db), createReadStream(EXAMPLE_PATH), {
    site: EXAMPLE_SITE,
    trustedKeys: EXAMPLE_TRUST,
    now: Date.now(),
  });
  db.close();
  if (!imported.ok) throw new Error(imported.message);
  await gate.start({
    site: EXAMPLE_SITE,
    gate: GATE,
    timezone: "Europe/Moscow",
    storage: { path: "./gate.db" },
    readers: [{ id: "in", direction: "in", source: { type: "bridge" } }],
    relays: [{ id: "turnstile", reader: "in", driver: { type: "tasmota", topic: "ts-br" }, pulse: "1s" }],
    mqtt: { url: broker.url, reconnectMin: "100ms", reconnectMax: "200ms" },
    trust: { keyFile: "./gate.key" },
    http: { listen: `127.0.0.1:${httpPort}` },
    policy: { rules: [{ name: "staff", roles: ["staff"] }] },
  });
  await gate.waitForLog((l) => l.msg === "relay board online", "the relay board online", 10_000);

  // On the bridge's board: init with the gate's public key, then its scanner's beep bytes.
  bridge = new GateProcess("bridge-br", {
    command: ["bridge", "run"],
    ready: "bridge ready",
    file: "passgate-bridge.yaml",
  });
  pty = await plugInScanner(bridge.dir);
  const init = runCli([
    "-c",
    bridge.configPath,
    "bridge",
    "init",
    "--site",
    EXAMPLE_SITE,
    "--gate",
    GATE,
    "--name",
    "lane-1",
    "--broker",
    broker.url,
    "--reader",
    `in:in:serial:${pty.readerPath}`,
    `--gate-key=${siteGateMember(GATE).publicKey}`,
  ]);
  expect(init.code, init.stderr).toBe(0);
  const config = parse(readFileSync(bridge.configPath, "utf8")) as {
    mqtt: Record<string, unknown>;
    readers: { source: Record<string, unknown> }[];
  };
  config.mqtt.reconnectMin = "100ms";
  config.mqtt.reconnectMax = "200ms";
  const source = config.readers[0]?.source ?? {};
  Object.assign(source, {
    feedback: { granted: GRANTED, denied: DENIED },
    rateLimit: { scans: 0 },
    duplicateWindow: "0ms",
  });
  writeFileSync(bridge.configPath, stringify(config));
  await bridge.start();
  await bridge.waitForLog((l) => l.msg === "reader connected", "the bridge's scanner open", 10_000);
  void (async () => {
    const fh = await open(pty.devicePath, "r");
    const buf = Buffer.alloc(256);
    while (reading) {
      const { bytesRead } = await fh.read(buf, 0, 256).catch(() => ({ bytesRead: 0 }));
      if (bytesRead === 0) break;
      played.push({ text: buf.subarray(0, bytesRead).toString("latin1"), at: Date.now() });
    }
    await fh.close().catch(() => {});
  })();
}, 60_000);

afterAll(async () => {
  reading = false;
  await bridge?.stop();
  await gate?.stop();
  await pty?.unplug();
  await board?.stop();
  await watcher?.endAsync();
  await broker?.close();
  bridge?.removeFiles();
  gate?.removeFiles();
});

const playedText = () => played.map((p) => p.text).join("");
const decisions = () => gate.decisions();

/** The gate's retained state, as a client that connects now gets it (waits up to 3 s for the bridge to show paired). */
async function retainedState(): Promise<{ bridges?: { id: string; paired: boolean; status: string }[] }> {
  const topic = `passgate/${EXAMPLE_SITE}/${GATE}/state`;
  const deadline = Date.now() + 3_000;
  for (;;) {
    const client = await connectAsync(broker.url, { protocolVersion: 5 });
    const state = await new Promise<Record<string, unknown>>((resolve) => {
      client.on("message", (_t, payload) =>
        resolve(JSON.parse(payload.toString()) as Record<string, unknown>),
      );
      void client.subscribeAsync(topic);
    });
    await client.endAsync();
    const bridges = state.bridges as { id: string; paired: boolean; status: string }[] | undefined;
    if (bridges?.[0]?.paired === true || Date.now() > deadline) return { bridges };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The gate's `status` answer over MQTT (anyone may ask; it changes nothing). */
async function gateStatus(): Promise<{ bridges: { id: string; paired: boolean; status: string }[] }> {
  const base = `passgate/${EXAMPLE_SITE}/${GATE}`;
  const transaction = `t-${Date.now()}-${Math.random()}`;
  await watcher.subscribeAsync(`${base}/response/status`);
  const answer = new Promise<Record<string, unknown>>((resolve) => {
    const on = (topic: string, payload: Buffer) => {
      const parsed = JSON.parse(payload.toString()) as {
        transaction?: string;
        data: Record<string, unknown>;
      };
      if (topic === `${base}/response/status` && parsed.transaction === transaction) {
        watcher.off("message", on);
        resolve(parsed.data);
      }
    };
    watcher.on("message", on);
  });
  await watcher.publishAsync(`${base}/request/status`, JSON.stringify({ transaction }));
  return (await answer) as { bridges: { id: string; paired: boolean; status: string }[] };
}

describe("a reader bridge and its gate, as processes", () => {
  it("unpaired, its scans do nothing and the scanner plays 'try again'; paired, a grant opens and the scanner plays it", async () => {
    const code = token42(nowStep());
    await scan(pty, code);
    await waitUntil(() => playedText().includes(DENIED), "the bridge to play 'try again'", 5_000);
    expect(board.opens).toHaveLength(0);
    expect(decisions()).toHaveLength(0);
    await gate.waitForLog(
      (l) => l.msg === "site message refused" && l.kind === "bridge-scan" && l.reason === "unknown_signer",
      "the gate to refuse the unpaired bridge",
    );

    // The gate sees the bridge, online but unpaired.
    expect((await gateStatus()).bridges).toMatchObject([
      { id: "bridge:lane-1", paired: false, status: "online" },
    ]);
    // The bridge says it of itself, having asked its gate.
    await bridge.waitForLog(
      (l) => String(l.msg).startsWith("unpaired:"),
      "the bridge to know it is unpaired",
    );
    // The bridge's own doctor says so too, with the fix.
    const pairedCheck = () => {
      const run = runCli(["-c", bridge.configPath, "bridge", "doctor", "--json"]);
      const { checks } = JSON.parse(run.stdout) as { checks: { id: string; status: string; fix?: string }[] };
      return checks.find((c) => c.id === "paired");
    };
    expect(pairedCheck()).toMatchObject({
      status: "fail",
      fix: expect.stringContaining("passgate bridge pair"),
    });

    const pair = runCli(["-c", bridge.configPath, "bridge", "pair", "--json"]);
    expect(pair.code, pair.stderr).toBe(0);
    const { member } = JSON.parse(pair.stdout) as { member: Record<string, unknown> };
    expect(member).toMatchObject({ id: "bridge:lane-1", kind: "bridge", gate: GATE, readers: ["in"] });
    const add = runCli(["-c", gate.configPath, "trust", "add", "--record", JSON.stringify(member)]);
    expect(add.code, add.stderr).toBe(0);
    // The running gate reads its roster again every 2 s.
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    const before = played.length;
    const scannedAt = Date.now();
    await scan(pty, code);
    await waitUntil(() => board.opens.length === 1, "the turnstile to open", 5_000);
    expect((board.opens[0]?.at ?? 0) - scannedAt).toBeLessThan(2_000);
    // The gate opens before it logs the decision (the open goes on the wire first).
    await waitUntil(() => decisions().length > 0, "the gate to log its decision");
    expect(decisions().at(-1)).toMatchObject({ result: "granted", reason: "ok", reader: "in" });
    await waitUntil(
      () => played.slice(before).some((p) => p.text.includes(GRANTED)),
      "the scanner to play the grant",
    );
    expect((await gateStatus()).bridges).toMatchObject([
      { id: "bridge:lane-1", paired: true, status: "online" },
    ]);
    expect(pairedCheck()).toMatchObject({ status: "ok" });
    await bridge.waitForLog((l) => String(l.msg).startsWith("paired:"), "the bridge to know it is paired");
    // The gate's retained state, which a dashboard reads, shows it paired and online.
    const retained = await retainedState();
    expect(retained.bridges).toEqual([{ id: "bridge:lane-1", paired: true, status: "online" }]);
    const own = runCli(["-c", bridge.configPath, "bridge", "status", "--json"]);
    expect(JSON.parse(own.stdout)).toMatchObject({ status: "online", state: { paired: true, online: true } });
    // The gate's own endpoint says so too: /status and the gauge an alert would watch.
    const status = (await (await fetch(`http://127.0.0.1:${httpPort}/status`)).json()) as {
      bridges: unknown[];
    };
    expect(status.bridges).toMatchObject([{ id: "bridge:lane-1", paired: true, status: "online" }]);
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    expect(metrics).toContain('passgate_bridge_online{bridge="bridge:lane-1",paired="true"} 1');
    // Never the code in either process's output.
    for (const line of [...gate.raw, ...bridge.raw]) expect(line).not.toContain(code.slice(4, 24));
  }, 30_000);

  it("refuses a forged scan, and journals a late one as stale_scan without opening", async () => {
    const opens = board.opens.length;
    const topic = `passgate/${EXAMPLE_SITE}/${GATE}/reader/in/scan`;
    const forged = signMessage({
      topic,
      signer: "bridge:lane-1",
      privateKey: generateKeyPairSync("ed25519").privateKey,
      body: { reader: "in", text: token42(nowStep() + 1), scannedAt: Date.now(), seq: 1 },
      at: Date.now(),
    });
    await watcher.publishAsync(topic, JSON.stringify(forged), { qos: 1 });
    await gate.waitForLog(
      (l) => l.msg === "site message refused" && l.kind === "bridge-scan" && l.reason === "bad_signature",
      "the forged scan refused",
    );
    // Signed with the bridge's own key, but scanned 3 s ago: a queue or a clock that held it.
    const key = readKeyFile(join(bridge.dir, "bridge.key"));
    const late = signMessage({
      topic,
      signer: "bridge:lane-1",
      privateKey: key,
      body: { reader: "in", text: token42(nowStep() + 1), scannedAt: Date.now() - 3_000, seq: 2 },
      at: Date.now(),
    });
    const count = decisions().length;
    await watcher.publishAsync(topic, JSON.stringify(late), { qos: 1 });
    await gate.decision(count + 1);
    expect(decisions().at(-1)).toMatchObject({ result: "denied", reason: "stale_scan" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(board.opens).toHaveLength(opens);
  }, 20_000);

  it("while the broker is away for 1 s: scans are decided after it returns, none opens more than 2 s after its scan", async () => {
    const count = decisions().length;
    const opens = board.opens.length;
    await broker.down();
    const scannedAt = Date.now();
    await scan(pty, token42(nowStep() + 1));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await broker.up();
    await waitUntil(
      () =>
        decisions().length > count ||
        bridge.logs.some((l) => l.msg === "scan not sent" && l.reason === "stale"),
      "the scan decided after the broker returned, or dropped as stale",
      10_000,
    );
    if (decisions().length > count) {
      const decided = decisions().at(-1);
      expect(decided?.at ?? 0).toBeGreaterThan(scannedAt);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    for (const o of board.opens.slice(opens)) expect(o.at - scannedAt).toBeLessThanOrEqual(2_000);
  }, 30_000);

  it("a paired bridge that stops raises an alarm at the gate, and shows offline", async () => {
    expect(await bridge.stop()).toMatchObject({ code: 0 });
    await gate.waitForLog(
      (l) => l.msg === "reader bridge offline: its lane reads no scans",
      "the alarm",
      5_000,
    );
    expect((await gateStatus()).bridges).toMatchObject([
      { id: "bridge:lane-1", paired: true, status: "offline" },
    ]);
  }, 20_000);
});
