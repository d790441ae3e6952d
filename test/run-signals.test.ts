import { existsSync, statSync, writeFileSync } from "node:fs";
import { connect } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { brokerPerFile } from "../app/testing/broker-per-file.js";
import { exampleGate, nowStep, SITE, staffToken, studentToken } from "../app/testing/mqtt-gate-fixture.js";
import { waitUntil } from "../daemon/mqtt/testing/mosquitto.js";
import { TasmotaEmulator } from "../sim/devices/tasmota-emulator.js";
import { type CliChild, spawnCli } from "./cli-child.js";
import { runCli } from "./run-cli.js";

const broker = brokerPerFile();
const cleanups: (() => Promise<unknown> | undefined)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const decisions = (cli: CliChild) => cli.logs.filter((l) => l.component === "decision");
const logged = (cli: CliChild, msg: string) => cli.logs.some((l) => String(l.msg ?? "").includes(msg));
/** Waits until `n` more decisions were logged: the stream runs on around a reload. */
async function moreDecisions(cli: CliChild, n: number): Promise<void> {
  const target = decisions(cli).length + n;
  await waitUntil(() => decisions(cli).length >= target, `${n} more decisions`);
}
/** Kills the child if a test failed before it exited. */
function killLater(cli: CliChild): void {
  cleanups.push(() => {
    if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill("SIGKILL");
    return cli.exited;
  });
}

async function retainedStatus(gate: string): Promise<string> {
  const client = connect(broker.url);
  try {
    return await new Promise<string>((resolve) => {
      client.on("message", (_t, payload) => resolve(payload.toString()));
      client.subscribe(`passgate/${SITE}/${gate}/status`);
    });
  } finally {
    await client.endAsync();
  }
}

describe("passgate run under signals", () => {
  it("SIGTERM mid-stream: the scans read are all decided, the relay is left off, offline retained, journal intact, exit 0", async () => {
    const device = new TasmotaEmulator("ts-sigterm");
    await device.start(broker.url);
    cleanups.push(() => device.stop());
    const { config, file } = await exampleGate({
      gate: "sigterm-1",
      mqtt: { url: broker.url },
      // 20 s: within the test only the off sent at stop can close it.
      relays: [{ id: "arm", reader: "in", driver: { type: "tasmota", topic: "ts-sigterm" }, pulse: "20s" }],
    });
    const cli = spawnCli(["--config", file, "run"]);
    killLater(cli);
    await waitUntil(() => logged(cli, "gate starting"), "the gate to start", 15_000);
    await waitUntil(() => cli.logs.some((l) => l.msg === "relay board online"), "the board online");
    cli.scan(staffToken(nowStep()));
    await waitUntil(() => device.isOn(1), "the board to open");
    // A stream of scans; the signal arrives in the middle of it.
    let sent = 1;
    const stream = setInterval(() => {
      cli.scan(`PG1:noise-${sent++}`);
    }, 5);
    await waitUntil(() => decisions(cli).length >= 20, "a stream of decisions");
    cli.child.kill("SIGTERM");
    const code = await cli.exited;
    clearInterval(stream);
    expect(code).toBe(0);
    expect(logged(cli, "gate stopped")).toBe(true);
    expect(device.isOn(1)).toBe(false);
    expect(device.received.at(-1)).toMatchObject({ topic: "cmnd/ts-sigterm/POWER1", payload: "OFF" });
    expect(await retainedStatus("sigterm-1")).toBe("offline");
    // The WAL was checkpointed into the database file at close.
    const wal = `${config.storage.path}-wal`;
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
    const verify = runCli(["--config", file, "journal", "verify"]);
    expect(verify.code, verify.stderr).toBe(0);
    // Every decision logged is journaled: nothing half done.
    const tail = runCli(["--config", file, "journal", "tail", "--json", "-n", "100000"]);
    const journaled = tail.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { kind: string })
      .filter((e) => e.kind === "decision");
    expect(journaled.length).toBe(decisions(cli).length);
    expect(journaled.length).toBeGreaterThanOrEqual(20);
  });

  it("a second signal while stopping exits at once with 143", async () => {
    const device = new TasmotaEmulator("ts-twice");
    await device.start(broker.url);
    cleanups.push(() => device.stop());
    // The confirmation is lost: the stop waits for the driver's 10 s confirmation timeout.
    device.reportState = false;
    const { file } = await exampleGate({
      gate: "twice-1",
      mqtt: { url: broker.url, confirmTimeout: "10s" },
      relays: [{ id: "arm", reader: "in", driver: { type: "tasmota", topic: "ts-twice" } }],
    });
    const cli = spawnCli(["--config", file, "run"]);
    killLater(cli);
    await waitUntil(() => cli.logs.some((l) => l.msg === "relay board online"), "the board online", 15_000);
    cli.scan(staffToken(nowStep()));
    await waitUntil(() => device.opens.length === 1, "the board to open");
    cli.child.kill("SIGTERM");
    await waitUntil(() => logged(cli, "stopping"), "the stop to begin");
    const started = Date.now();
    cli.child.kill("SIGTERM");
    expect(await cli.exited).toBe(143);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(logged(cli, "second stop signal")).toBe(true);
  });

  it("SIGHUP applies a new policy to the next scans without losing one; an invalid config is refused and the gate keeps running", async () => {
    const staffOnly = { rules: [{ name: "staff", roles: ["staff"] }] };
    const { file } = await exampleGate({ gate: "hup-1", policy: staffOnly });
    const raw = (policy: unknown) =>
      JSON.stringify({
        site: SITE,
        gate: "hup-1",
        timezone: "Europe/Moscow",
        storage: { path: "./gate.db" },
        readers: [{ id: "in", direction: "in", source: { type: "stdin" } }],
        policy,
      });
    writeFileSync(file, raw(staffOnly));
    const cli = spawnCli(["--config", file, "run"]);
    killLater(cli);
    await waitUntil(() => logged(cli, "gate starting"), "the gate to start", 15_000);
    let sent = 0;
    const send = (text: string) => {
      sent++;
      cli.scan(text);
    };
    const stream = setInterval(() => send(`PG1:noise-${sent}`), 5);
    const step = nowStep();
    send(studentToken(step - 1));
    await waitUntil(() => decisions(cli).some((d) => d.credential === "2001"), "the student's first scan");

    await moreDecisions(cli, 10);
    writeFileSync(file, raw({ rules: [...staffOnly.rules, { name: "students", roles: ["student"] }] }));
    cli.child.kill("SIGHUP");
    await waitUntil(() => logged(cli, "config reloaded"), "the reload");
    await moreDecisions(cli, 10);
    send(studentToken(step));
    await waitUntil(
      () => decisions(cli).filter((d) => d.credential === "2001").length === 2,
      "the second scan",
    );

    writeFileSync(file, raw({ rules: [{ name: "broken", roles: [], schedule: "nowhere" }] }));
    cli.child.kill("SIGHUP");
    await waitUntil(() => logged(cli, "config not reloaded"), "the refused reload");
    await moreDecisions(cli, 10);
    send(studentToken(step + 1));
    await waitUntil(
      () => decisions(cli).filter((d) => d.credential === "2001").length === 3,
      "the third scan",
    );
    clearInterval(stream);
    cli.child.stdin.end();
    expect(await cli.exited).toBe(0);

    const student = decisions(cli).filter((d) => d.credential === "2001");
    expect(student.map((d) => `${d.result}:${d.reason}`)).toEqual([
      "denied:not_allowed_here",
      "granted:ok",
      "granted:ok",
    ]);
    const reloaded = cli.logs.find((l) => String(l.msg).startsWith("config reloaded"));
    expect(reloaded?.msg).toBe("config reloaded: policy");
    const refused = cli.logs.filter((l) => String(l.msg).startsWith("config not reloaded"));
    expect(refused).toHaveLength(1);
    expect(refused[0]?.level).toBe(50);
    expect(refused[0]?.msg).toContain("policy.rules.0");
    // No scan lost across both reloads: one decision per line sent.
    expect(decisions(cli)).toHaveLength(sent);
    expect(sent).toBeGreaterThan(30);
  });
});
