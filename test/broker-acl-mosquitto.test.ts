import { execFileSync } from "node:child_process";
import {
  chownSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestMosquitto, waitUntil } from "../daemon/mqtt/testing/mosquitto.js";
import { ShellyGen2Emulator } from "../sim/devices/shelly-gen2-emulator.js";
import { brokerSite } from "./broker-site.js";
import { runCliInProcess } from "./cli-harness.js";

/**
 * The files `passgate broker acl` writes, loaded by a real mosquitto: the site of
 * test/broker-site.ts on a broker with `allow_anonymous false` and the generated
 * password_file and acl_file, then with the dynamic-security plugin and its generated
 * config. Clients are mqtt.js over MQTT 5, so a refused publish shows as PUBACK 0x87.
 */

const NOT_AUTHORIZED = 0x87;
const root = mkdtempSync(join(tmpdir(), "passgate-broker-acl-"));
const out = join(root, "broker");
const clients: MqttClient[] = [];
const brokerDirs: string[] = [];

beforeAll(async () => {
  const site = brokerSite(root);
  const result = await runCliInProcess([
    "broker",
    "acl",
    ...site.files.flatMap((f) => ["--gate", f]),
    "--out",
    out,
  ]);
  expect(result.code, result.stderr).toBe(0);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  for (const dir of [root, ...brokerDirs]) rmSync(dir, { recursive: true, force: true });
});

/**
 * The broker's own copy of generated files, as a site installs them (`install -o mosquitto
 * -m 600`): when the tests run as root, mosquitto drops to its `mosquitto` user, which
 * must own the files and their directory; otherwise it runs as us and reads ours.
 */
function installForBroker(name: string, files: readonly string[]): string[] {
  // Beside, not inside, `root`: mosquitto's user could not pass through our 0700 directory.
  const dir = mkdtempSync(join(tmpdir(), `passgate-broker-${name}-`));
  brokerDirs.push(dir);
  const uid =
    process.getuid?.() === 0 ? Number(execFileSync("id", ["-u", "mosquitto"]).toString()) : undefined;
  if (uid !== undefined) chownSync(dir, uid, uid);
  return files.map((file) => {
    const copy = join(dir, file);
    copyFileSync(join(out, file), copy);
    if (uid !== undefined) chownSync(copy, uid, uid);
    return copy;
  });
}

const password = (account: string) =>
  readFileSync(join(out, "passwords", `${account}.password`), "utf8").trim();

/** Connects as `account` with its generated password (or none); rejects with the CONNACK's error. */
async function connect(broker: TestMosquitto, account?: string, pass?: string): Promise<MqttClient> {
  const client = mqtt.connect(broker.url, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...(account === undefined ? {} : { username: account, password: pass ?? password(account) }),
  });
  clients.push(client);
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", reject);
    client.once("close", () => reject(new Error("closed before CONNACK")));
  });
  return client;
}

/** The PUBACK reason code of a QoS 1 publish: 0 taken, 0x87 not authorized. */
async function publish(client: MqttClient, topic: string, payload = "x"): Promise<number> {
  try {
    await client.publishAsync(topic, payload, { qos: 1 });
    return 0;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "number") return code;
    throw err;
  }
}

/** The SUBACK reason code of one subscription (a granted QoS, or 0x80 and above when refused). */
async function subscribe(client: MqttClient, filter: string): Promise<number> {
  try {
    const granted = await client.subscribeAsync(filter, { qos: 1 });
    return granted[0]?.qos ?? -1;
  } catch (err) {
    // mqtt.js rejects a refused subscription with the SUBACK it got.
    const granted = (err as { packet?: { granted?: unknown[] } }).packet?.granted?.[0];
    if (typeof granted === "number") return granted;
    throw err;
  }
}

/** Messages `client` receives, by topic. */
function received(client: MqttClient): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  client.on("message", (topic, payload) => seen.set(topic, [...(seen.get(topic) ?? []), payload.toString()]));
  return seen;
}

/** What gate main-1 may not publish: another gate's topics and records, a board's state and will, the fire panel. */
const FOREIGN_TO_MAIN_1 = [
  "passgate/north/main-2/state",
  "passgate/north/main-2/status",
  "passgate/north/main-2/request/mode",
  "passgate/north/shared/main-2/replay",
  "passgate/north/shared/main-2/passage",
  "passgate/north/shared/main-2/catch-up",
  "stat/turnstile-1/POWER1",
  "tele/turnstile-1/LWT",
  "stat/turnstile-1/SWITCH1",
  "stat/fire-panel/SWITCH1",
  "pg/registry/north/changed",
  "pgrelay/door-2/status",
];
const OWN_TO_MAIN_1 = [
  "passgate/north/main-1/status",
  "passgate/north/main-1/state",
  "passgate/north/main-1/event",
  "passgate/north/main-1/response/mode",
  "passgate/north/shared/main-1/replay",
  "passgate/north/shared/main-1/passage",
  "passgate/north/shared/main-1/catch-up",
  "passgate/north/notify",
  "cmnd/turnstile-1/POWER1",
  "cmnd/turnstile-1/PulseTime1",
];

describe("passgate broker acl on a real mosquitto: password_file and acl_file", () => {
  let broker: TestMosquitto;
  beforeAll(async () => {
    const [passwordFile, aclFile] = installForBroker("mosquitto", ["mosquitto.passwd", "mosquitto.acl"]);
    broker = await TestMosquitto.start({
      config: ["allow_anonymous false", `password_file ${passwordFile}`, `acl_file ${aclFile}`],
    });
  });
  afterAll(() => broker?.close());

  it("refuses an anonymous client and a wrong password, takes every generated account", async () => {
    await expect(connect(broker)).rejects.toThrow(/Not authorized|Bad User Name or Password/i);
    await expect(connect(broker, "gate-main-1", "not-the-password")).rejects.toThrow(
      /Not authorized|Bad User Name or Password/i,
    );
    for (const account of [
      "gate-main-1",
      "gate-main-2",
      "bridge-t3",
      "operator-desk-1",
      "board-fire-panel",
      "registry",
    ])
      await connect(broker, account);
  });

  it("lets gate main-1 publish its own topics and its board's commands, and nothing of another gate, board or the fire panel", async () => {
    const gate = await connect(broker, "gate-main-1");
    for (const topic of OWN_TO_MAIN_1) expect([topic, await publish(gate, topic)]).toEqual([topic, 0]);
    for (const topic of FOREIGN_TO_MAIN_1)
      expect([topic, await publish(gate, topic)]).toEqual([topic, NOT_AUTHORIZED]);
  });

  it("delivers a gate's own shared record to the other gate, and never one it forged for that gate", async () => {
    const main1 = await connect(broker, "gate-main-1");
    const main2 = await connect(broker, "gate-main-2");
    const seen = received(main2);
    expect(await subscribe(main2, "passgate/north/shared/+/replay")).toBe(1);
    expect(await publish(main1, "passgate/north/shared/main-2/replay", "forged")).toBe(NOT_AUTHORIZED);
    expect(await publish(main1, "passgate/north/shared/main-1/replay", "own")).toBe(0);
    await waitUntil(() => seen.has("passgate/north/shared/main-1/replay"), "main-1's record at main-2");
    expect(seen.get("passgate/north/shared/+/replay")).toBeUndefined();
    expect([...seen.keys()]).toEqual(["passgate/north/shared/main-1/replay"]);
  });

  it("lets a board publish only its own state, and the gate receive it; only the fire panel sends the fire alarm", async () => {
    const gate = await connect(broker, "gate-main-1");
    const seen = received(gate);
    for (const t of ["stat/turnstile-1/POWER1", "stat/fire-panel/SWITCH1"])
      expect(await subscribe(gate, t)).toBe(1);
    const board = await connect(broker, "board-turnstile-1");
    expect(await publish(board, "stat/turnstile-1/POWER1", "ON")).toBe(0);
    for (const topic of [
      "stat/fire-panel/SWITCH1",
      "cmnd/turnstile-1/POWER1",
      "passgate/north/main-1/status",
      "stat/shellyplus1-a8/POWER1",
      "shellyplus1-a8/online",
    ])
      expect([topic, await publish(board, topic)]).toEqual([topic, NOT_AUTHORIZED]);
    const fire = await connect(broker, "board-fire-panel");
    expect(await publish(fire, "stat/fire-panel/SWITCH1", "ON")).toBe(0);
    expect(await publish(fire, "stat/turnstile-1/POWER1", "OFF")).toBe(NOT_AUTHORIZED);
    await waitUntil(
      () => seen.has("stat/turnstile-1/POWER1") && seen.has("stat/fire-panel/SWITCH1"),
      "the board's state and the fire alarm at the gate",
    );
    expect(seen.get("stat/turnstile-1/POWER1")).toEqual(["ON"]);
  });

  it("lets `relay test` pulse a Shelly Gen2 board with the gate's account: the board answers on the gate's reply topic", async () => {
    const board = new ShellyGen2Emulator("shellyplus1-a8");
    await board.start(broker.url, {
      username: "board-shellyplus1-a8",
      password: password("board-shellyplus1-a8"),
    });
    try {
      const site = brokerSite(mkdtempSync(join(root, "relay-test-")));
      const main2 = JSON.parse(readFileSync(site.files[1] as string, "utf8")) as Record<string, unknown>;
      const file = join(root, "main-2-relay-test.yaml");
      writeFileSync(
        file,
        JSON.stringify({
          ...main2,
          mqtt: {
            ...(main2.mqtt as object),
            url: broker.url,
            username: "gate-main-2",
            passwordFile: join(out, "passwords", "gate-main-2.password"),
          },
        }),
      );
      const result = await runCliInProcess(["-c", file, "relay", "test", "turnstile", "--json"]);
      expect(JSON.parse(result.stdout), result.stdout + result.stderr).toMatchObject({
        relay: "turnstile",
        result: "opened",
      });
      expect(board.opens).toHaveLength(1);
    } finally {
      await board.stop();
    }
  });

  it("grants a subscription outside an account's read rules (acl_file does not check subscriptions in mosquitto 2.0) but delivers nothing on it", async () => {
    const main1 = await connect(broker, "gate-main-1");
    const seen = received(main1);
    expect(await subscribe(main1, "passgate/north/main-2/#")).toBe(1);
    expect(await subscribe(main1, "passgate/north/main-1/request/+")).toBe(1);
    const main2 = await connect(broker, "gate-main-2");
    expect(await publish(main2, "passgate/north/main-2/state", "{}")).toBe(0);
    const desk = await connect(broker, "operator-desk-1");
    expect(await publish(desk, "passgate/north/main-1/request/pulse", "{}")).toBe(0);
    await waitUntil(
      () => seen.has("passgate/north/main-1/request/pulse"),
      "the operator's request at main-1",
    );
    expect([...seen.keys()]).toEqual(["passgate/north/main-1/request/pulse"]);
  });

  it("holds a guard to its gate and its role, and a bridge to its own readers' scan topics", async () => {
    const desk = await connect(broker, "operator-desk-1");
    expect(await publish(desk, "passgate/north/main-1/request/open", "{}")).toBe(0);
    expect(await publish(desk, "passgate/north/main-2/request/open")).toBe(NOT_AUTHORIZED);
    expect(await publish(desk, "passgate/north/main-1/request/mode")).toBe(NOT_AUTHORIZED);
    expect(await publish(desk, "passgate/north/main-2/request/pulse")).toBe(NOT_AUTHORIZED);
    const bridge = await connect(broker, "bridge-t3");
    expect(await publish(bridge, "passgate/north/main-1/reader/in/scan")).toBe(0);
    expect(await publish(bridge, "passgate/north/main-1/bridge/t3/status")).toBe(0);
    for (const topic of [
      "passgate/north/main-1/reader/in/answer",
      "passgate/north/main-1/reader/out/scan",
      "passgate/north/main-2/reader/in/scan",
      "passgate/north/main-1/bridge/t4/status",
      "passgate/north/main-1/request/pulse",
    ])
      expect([topic, await publish(bridge, topic)]).toEqual([topic, NOT_AUTHORIZED]);
  });
});

/** Where Debian's and the upstream build put mosquitto's dynamic-security plugin. */
const DYNSEC_PLUGIN = [
  "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
  "/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so",
  "/usr/lib/mosquitto_dynamic_security.so",
  "/usr/local/lib/mosquitto_dynamic_security.so",
].find((p) => existsSync(p));

describe("passgate broker acl on a real mosquitto: the dynamic-security plugin", () => {
  let broker: TestMosquitto;
  beforeAll(async () => {
    // Not skipped when missing: the plugin ships in Debian's mosquitto package.
    if (DYNSEC_PLUGIN === undefined)
      throw new Error("mosquitto's dynamic-security plugin is not installed (mosquitto_dynamic_security.so)");
    // The plugin writes its config back on changes: it gets a copy.
    const [config] = installForBroker("dynsec", ["dynamic-security.json"]);
    broker = await TestMosquitto.start({
      config: ["allow_anonymous false", `plugin ${DYNSEC_PLUGIN}`, `plugin_opt_config_file ${config}`],
    });
  });
  afterAll(() => broker?.close());

  it("loads the generated config: refuses anonymous and wrong passwords, takes the generated ones", async () => {
    await expect(connect(broker)).rejects.toThrow(/Not authorized|Bad User Name or Password/i);
    await expect(connect(broker, "board-fire-panel", "wrong-password-123")).rejects.toThrow(
      /Not authorized|Bad User Name or Password/i,
    );
    await connect(broker, "gate-main-1");
    await connect(broker, "board-fire-panel");
  });

  it("applies the same rules: own topics allowed, foreign ones refused, subscriptions outside the rules refused", async () => {
    const gate = await connect(broker, "gate-main-1");
    for (const topic of OWN_TO_MAIN_1) expect([topic, await publish(gate, topic)]).toEqual([topic, 0]);
    for (const topic of FOREIGN_TO_MAIN_1)
      expect([topic, await publish(gate, topic)]).toEqual([topic, NOT_AUTHORIZED]);
    expect(await subscribe(gate, "passgate/north/shared/+/replay")).toBe(1);
    expect(await subscribe(gate, "passgate/north/main-2/#")).toBe(NOT_AUTHORIZED);
    const seen = received(gate);
    expect(await subscribe(gate, "stat/fire-panel/SWITCH1")).toBe(1);
    const fire = await connect(broker, "board-fire-panel");
    expect(await publish(fire, "stat/fire-panel/SWITCH1", "ON")).toBe(0);
    expect(await publish(fire, "stat/turnstile-1/POWER1", "ON")).toBe(NOT_AUTHORIZED);
    await waitUntil(() => seen.has("stat/fire-panel/SWITCH1"), "the fire alarm at the gate");
  });
});
