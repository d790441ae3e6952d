import { generateKeyPairSync } from "node:crypto";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect, type MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openGateDatabase } from "../../app/gate-database.js";
import { loadConfig } from "../../config/load-config.js";
import type { Config } from "../../config/schema.js";
import { EXAMPLE_KEY_ID, RFC_TEST2_PUBLIC } from "../../daemon/allowlist/testing/test-bodies.js";
import { TestMosquitto } from "../../daemon/mqtt/testing/mosquitto.js";
import { gateTopics } from "../../daemon/mqtt/topics.js";
import { keyFingerprint, publicKeyText } from "../../daemon/trust/key-file.js";
import { RosterStore } from "../../daemon/trust/roster-store.js";
import type { RegistryServer } from "../../sim/registry/registry-server.js";
import { SocatPty } from "../../sim/scanners/socat-pty.js";
import { GOOD_TOKEN, startRegistry } from "../../test/fixtures/sync-fixture.js";
import { OpsGate } from "../../test/ops-fixture.js";
import type { CheckResult } from "./doctor-check.js";
import { type DoctorPorts, mqttConnectOnce, systemPorts } from "./doctor-ports.js";
import { checkBroker, checkRegistry } from "./network-checks.js";
import { runDoctor } from "./run-doctor.js";
import { DISK_FAIL_BYTES, DISK_WARN_BYTES } from "./storage-checks.js";

const GB = 1024 ** 3;

const connected = (client: MqttClient) => new Promise((resolve) => client.once("connect", resolve));

/** The machine, except what a test decides: free space, timedatectl's answer, devices. */
function ports(over: Partial<DoctorPorts> = {}): DoctorPorts {
  return {
    ...systemPorts(async () => []),
    freeBytes: () => 20 * GB,
    ntpSynchronized: async () => "yes",
    ...over,
  };
}

let gate: OpsGate;
beforeEach(() => {
  gate = new OpsGate();
});
afterEach(() => gate.close());

const byId = (checks: readonly CheckResult[], id: string) => checks.find((c) => c.id === id);

async function doctor(config: Config, p: DoctorPorts): Promise<CheckResult[]> {
  return runDoctor(
    { configFile: gate.config, config, serviceUser: "no-such-user-passgate", now: Date.now() },
    p,
  );
}

describe("doctor checks (fake disk and clock, real files)", () => {
  it("a healthy gate without network sections: every check ok", async () => {
    await gate.seed();
    const checks = await doctor(loadConfig(gate.writeConfig()), ports());
    expect(checks.filter((c) => c.status !== "ok")).toEqual([]);
    expect(checks.map((c) => c.id)).toEqual([
      "config",
      "config-permissions",
      "db-dir",
      "db-integrity",
      "db-wal",
      "db-permissions",
      "disk",
      "reader:in",
      "udev",
      "clock",
      "broker",
      "registry",
      "allowlist",
    ]);
  });

  it("trust, with a broker: no key or an empty roster warn; a key others may read and acceptUnsigned fail", async () => {
    await gate.seed();
    const mqtt = "mqtt:\n  url: mqtt://127.0.0.1:9\n";
    const bare = await doctor(loadConfig(gate.writeConfig(mqtt)), ports());
    expect(byId(bare, "trust-key")).toMatchObject({ status: "warn", fix: "passgate keys init" });
    expect(byId(bare, "trust-roster")).toMatchObject({
      status: "warn",
      finding: expect.stringContaining("roster is empty"),
    });
    expect(byId(bare, "trust-unsigned")).toBeUndefined();

    const keyFile = join(gate.dir, "gate.key");
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    writeFileSync(keyFile, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o644 });
    chmodSync(keyFile, 0o644);
    const trust = `trust:\n  keyFile: ${keyFile}\n  acceptUnsigned: true\n`;
    const loose = await doctor(loadConfig(gate.writeConfig(mqtt + trust)), ports());
    expect(byId(loose, "trust-key")).toMatchObject({ status: "fail", fix: `chmod 600 ${keyFile}` });
    expect(byId(loose, "trust-unsigned")).toMatchObject({
      status: "fail",
      fix: expect.stringContaining("passgate trust add"),
    });

    chmodSync(keyFile, 0o600);
    const db = openGateDatabase(loadConfig(gate.config).storage, "write");
    const other = publicKeyText(generateKeyPairSync("ed25519").publicKey);
    RosterStore.open(db).addLocal(
      { id: "gate:main-2", kind: "gate", gate: "main-2", publicKey: other, status: "active" },
      Date.now(),
    );
    db.close();
    const good = await doctor(
      loadConfig(gate.writeConfig(`${mqtt}trust:\n  keyFile: ${keyFile}\n`)),
      ports(),
    );
    const fingerprint = keyFingerprint(publicKeyText(publicKey));
    expect(byId(good, "trust-key")).toMatchObject({
      status: "ok",
      finding: `signing key ${fingerprint} (${keyFile})`,
    });
    expect(byId(good, "trust-roster")).toMatchObject({
      status: "ok",
      finding: "1 active members: 1 gates, 0 bridges, 0 operators",
    });
  });

  it("a bridge reader: fails until an active bridge of the roster feeds it", async () => {
    await gate.seed();
    const mqtt = "mqtt:\n  url: mqtt://127.0.0.1:9\n";
    const file = gate.writeConfig(mqtt, "{ type: bridge }");
    const unfed = await doctor(loadConfig(file), ports());
    expect(byId(unfed, "reader-bridge-in")).toMatchObject({
      status: "fail",
      fix: expect.stringContaining("passgate trust add"),
    });
    const db = openGateDatabase(loadConfig(file).storage, "write");
    const key = publicKeyText(generateKeyPairSync("ed25519").publicKey);
    const roster = RosterStore.open(db);
    // A bridge of another reader, and one of this reader at another gate, do not count.
    roster.addLocal(
      { id: "bridge:x", kind: "bridge", gate: "main-1", readers: ["out"], publicKey: key, status: "active" },
      Date.now(),
    );
    roster.addLocal(
      { id: "bridge:y", kind: "bridge", gate: "main-2", readers: ["in"], publicKey: key, status: "active" },
      Date.now(),
    );
    expect(byId(await doctor(loadConfig(file), ports()), "reader-bridge-in")).toMatchObject({
      status: "fail",
    });
    roster.addLocal(
      {
        id: "bridge:lane-1",
        kind: "bridge",
        gate: "main-1",
        readers: ["in"],
        publicKey: key,
        status: "active",
      },
      Date.now(),
    );
    db.close();
    expect(byId(await doctor(loadConfig(file), ports()), "reader-bridge-in")).toMatchObject({
      status: "ok",
      finding: "reader in is fed by bridge:lane-1",
    });
  });

  it("disk: warn below 1 GB, fail below 100 MB", async () => {
    await gate.seed();
    const config = loadConfig(gate.writeConfig());
    const low = await doctor(config, ports({ freeBytes: () => DISK_WARN_BYTES - 1 }));
    expect(byId(low, "disk")).toMatchObject({ status: "warn" });
    const full = await doctor(config, ports({ freeBytes: () => DISK_FAIL_BYTES - 1 }));
    expect(byId(full, "disk")).toMatchObject({ status: "fail", fix: expect.stringContaining("df -h") });
  });

  it("clock: fail when timedatectl says no, warn when it cannot be asked", async () => {
    await gate.seed();
    const config = loadConfig(gate.writeConfig());
    expect(byId(await doctor(config, ports({ ntpSynchronized: async () => "no" })), "clock")).toMatchObject({
      status: "fail",
      fix: expect.stringContaining("timedatectl set-ntp true"),
    });
    expect(
      byId(await doctor(config, ports({ ntpSynchronized: async () => undefined })), "clock"),
    ).toMatchObject({
      status: "warn",
      finding: expect.stringContaining("cannot tell"),
    });
  });

  it("permissions: a world-writable config and a group-writable secret fail", async () => {
    await gate.seed();
    const secret = join(gate.dir, "mqtt-password");
    writeFileSync(secret, "pw\n", { mode: 0o660 });
    const config = loadConfig(
      gate.writeConfig(
        "mqtt:\n  url: mqtt://127.0.0.1:9\n  username: gate\n  passwordFile: ./mqtt-password\n",
      ),
    );
    const modes: Record<string, number> = { [gate.config]: 0o666, [secret]: 0o660 };
    const p = ports({
      stat: (path) =>
        path in modes
          ? { mode: modes[path] ?? 0, uid: process.getuid?.() ?? 0, gid: 0 }
          : systemPorts(async () => []).stat(path),
      mqttConnect: async () => "refused in this test",
    });
    const checks = await doctor(config, p);
    expect(byId(checks, "config-permissions")).toMatchObject({
      status: "fail",
      fix: `chmod o-w ${gate.config}`,
    });
    expect(byId(checks, "secret:mqtt.passwordFile")).toMatchObject({
      status: "fail",
      fix: `chmod 0640 ${secret}`,
    });
  });

  it("permissions: a database others may read fails with the chmod (real files, umask 022)", async () => {
    await gate.seed();
    const config = loadConfig(gate.writeConfig());
    const db = config.storage.path;
    expect(byId(await doctor(config, ports()), "db-permissions")).toMatchObject({ status: "ok" });
    // As an older passgate, or a copy made by hand, left it.
    chmodSync(db, 0o644);
    expect(byId(await doctor(config, ports()), "db-permissions")).toMatchObject({
      status: "fail",
      finding: expect.stringContaining(`${db} is 0644`),
      // The -wal as well: SQLite gives it the database file's mode.
      fix: expect.stringMatching(new RegExp(`^chmod 600 ${db}( ${db}-wal)?( ${db}-shm)?$`)),
    });
  });

  it("a serial reader whose device is missing fails, and the missing udev rule fails with it", async () => {
    await gate.seed();
    const config = loadConfig(gate.writeConfig("", "{ type: serial, path: /dev/passgate-test-none }"));
    const checks = await doctor(config, ports({ readText: () => undefined }));
    expect(byId(checks, "reader:in")).toMatchObject({
      status: "fail",
      finding: "/dev/passgate-test-none does not exist",
    });
    expect(byId(checks, "udev")).toMatchObject({ status: "fail", fix: expect.stringContaining("udevadm") });
  });

  it("without the udev rule, a serial reader this user already opens (a real pty) is not a udev failure", async () => {
    await gate.seed();
    const pty = new SocatPty(join(gate.dir, "scanner"), join(gate.dir, "scanner-device"));
    await pty.plugIn();
    try {
      const config = loadConfig(gate.writeConfig("", `{ type: serial, path: ${pty.readerPath} }`));
      const checks = await doctor(config, ports({ readText: () => undefined }));
      expect(byId(checks, "reader:in")).toMatchObject({ status: "ok" });
      expect(byId(checks, "udev")).toMatchObject({
        status: "ok",
        finding: expect.stringContaining("already opens every reader"),
      });
    } finally {
      await pty.unplug();
    }
  });

  it("no allowlist in the database fails: every scan would be denied", async () => {
    const checks = await doctor(loadConfig(gate.writeConfig()), ports());
    expect(byId(checks, "db")).toMatchObject({ status: "warn" });
    expect(byId(checks, "allowlist")).toMatchObject({
      status: "fail",
      finding: "no allowlist yet: every scan is denied",
    });
  });

  it("a stale allowlist fails with the roles that are denied", async () => {
    await gate.seed(Date.now() - 3 * 3600_000);
    const config = loadConfig(gate.writeConfig("sync:\n  staleness:\n    student: 1h\n"));
    expect(byId(await doctor(config, ports()), "allowlist")).toMatchObject({
      status: "fail",
      finding: expect.stringContaining("roles student"),
    });
  });
});

describe("doctor broker check against a real mosquitto", () => {
  let broker: TestMosquitto;
  beforeAll(async () => {
    broker = await TestMosquitto.start();
  });
  afterAll(() => broker.close());

  it("ok while the broker is up, fail while it is down, ok again when it is back", async () => {
    const config = loadConfig(gate.writeConfig(`mqtt:\n  url: ${broker.url}\n`));
    const p = ports({ mqttConnect: mqttConnectOnce });
    expect(await checkBroker(config, p)).toMatchObject({
      status: "ok",
      finding: `connected to ${broker.url}`,
    });
    await broker.down();
    const down = await checkBroker(config, p);
    expect(down).toMatchObject({ status: "fail" });
    expect(down.finding).toMatch(/ECONNREFUSED|connection closed/);
    await broker.up();
    expect(await checkBroker(config, p)).toMatchObject({ status: "ok" });
  });

  it("neither takes over the running gate's session nor fires its offline will", async () => {
    const config = loadConfig(gate.writeConfig(`mqtt:\n  url: ${broker.url}\n`));
    const status = gateTopics({ prefix: "passgate", site: config.site, gate: config.gate }).status;
    // The running gate: the same client id the config gives the daemon.
    const daemon = connect(broker.url, {
      clientId: `passgate-${config.site}-${config.gate}`,
      reconnectPeriod: 0,
    });
    const watcher = connect(broker.url, { reconnectPeriod: 0 });
    try {
      await Promise.all([connected(daemon), connected(watcher)]);
      const seen: string[] = [];
      watcher.on("message", (_topic, payload) => seen.push(payload.toString()));
      await watcher.subscribeAsync(status);
      let kicked = false;
      daemon.on("close", () => {
        kicked = true;
      });
      expect(await checkBroker(config, ports({ mqttConnect: mqttConnectOnce }))).toMatchObject({
        status: "ok",
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(kicked).toBe(false);
      expect(seen).toEqual([]);
    } finally {
      daemon.end(true);
      watcher.end(true);
    }
  });
});

describe("doctor registry check against the simulated registry", () => {
  let server: RegistryServer;
  let url: string;
  beforeAll(async () => {
    const started = startRegistry();
    server = started.server;
    url = await started.url;
  });
  afterAll(() => server.stop());

  const configWithToken = (token: string): Config => {
    const tokenFile = join(gate.dir, "token");
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    return loadConfig(
      gate.writeConfig(
        `registry:\n  url: ${url}\n  tokenFile: ./token\n  trustedKeys:\n    ${EXAMPLE_KEY_ID}: ${RFC_TEST2_PUBLIC}\n`,
      ),
    );
  };

  it("answers 200 with the gate's token, and asks since the version in force", async () => {
    const result = await checkRegistry(configWithToken(GOOD_TOKEN), 7, ports());
    expect(result).toMatchObject({ status: "ok", finding: expect.stringMatching(/answered (200|304)/) });
    expect(server.requests.at(-1)).toMatchObject({ method: "GET", since: 7, authorized: true });
    expect(JSON.stringify(result)).not.toContain(GOOD_TOKEN);
  });

  it("a wrong token fails as refused, without printing it", async () => {
    const result = await checkRegistry(configWithToken("wrong-token-xyz"), 7, ports());
    expect(result).toMatchObject({
      status: "fail",
      finding: expect.stringContaining("refused the gate's token (401)"),
    });
    expect(JSON.stringify(result)).not.toContain("wrong-token-xyz");
  });

  it("a registry that is not there fails within the timeout", async () => {
    await server.stop();
    const started = Date.now();
    const result = await checkRegistry(configWithToken(GOOD_TOKEN), 7, ports());
    expect(result).toMatchObject({ status: "fail", finding: expect.stringContaining("cannot reach") });
    expect(Date.now() - started).toBeLessThan(3_500);
    const restarted = startRegistry();
    server = restarted.server;
    url = await restarted.url;
  });
});
