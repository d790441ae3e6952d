import { createServer } from "node:net";
import { PassThrough, Writable } from "node:stream";
import { connect } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { configSchema } from "../../config/schema.js";
import { freeLoopbackPort, TestMosquitto, waitUntil } from "../../daemon/mqtt/testing/mosquitto.js";
import { systemClock } from "../../platform/clock.js";
import { openDatabase } from "../../platform/database/database.js";
import { createLogger } from "../../platform/log/logger.js";
import { TasmotaEmulator } from "../../sim/devices/tasmota-emulator.js";
import { startDaemon } from "../gate-app.js";
import { exampleGate, nowStep, runGate, SITE, staffToken, token1001 } from "../testing/mqtt-gate-fixture.js";
import { DECISION_BUCKETS } from "./gate-metrics.js";
import { gateStatusSchema } from "./status-schema.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The value of one sample line `name{labels} value` of a Prometheus text scrape. */
function sample(text: string, name: string, labels = ""): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels === "" ? " " : `{${labels}} `}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

async function get(
  port: number,
  path: string,
  method = "GET",
): Promise<{ status: number; body: string; type: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: res.status, body: await res.text(), type: res.headers.get("content-type") ?? "" };
}

describe("the gate's HTTP endpoint", () => {
  it("serves metrics, status and health of a running gate over real HTTP; refuses other paths and methods", async () => {
    const port = await freeLoopbackPort();
    const { config } = await exampleGate({
      gate: "metrics-1",
      http: { listen: `127.0.0.1:${port}` },
      relays: [{ id: "arm", reader: "in", driver: { type: "log" } }],
    });
    const gate = await runGate(config);
    cleanups.push(gate.stop);
    const step = nowStep();
    gate.scan(staffToken(step));
    gate.scan(token1001(step));
    gate.scan("PG1:not a token");
    gate.scan(`\u001b]0;title\u0007${staffToken(step)}`);
    const decided = () => [...gate.daemon.gate.decisionCounts().values()].reduce((a, b) => a + b, 0);
    await waitUntil(() => decided() === 3, "three decisions");

    const metrics = await get(port, "/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.type).toContain("text/plain");
    const text = metrics.body;
    expect(sample(text, "passgate_decisions_total", 'result="granted",reason="ok",reader="in"')).toBe(2);
    expect(sample(text, "passgate_decisions_total", 'result="denied",reason="malformed",reader="in"')).toBe(
      1,
    );
    expect(sample(text, "passgate_decision_duration_seconds_count")).toBe(3);
    expect(sample(text, "passgate_decision_duration_seconds_bucket", 'le="+Inf"')).toBe(3);
    expect(
      sample(text, "passgate_decision_duration_seconds_bucket", `le="${DECISION_BUCKETS[0]}"`),
    ).toBeDefined();
    expect(sample(text, "passgate_decision_duration_seconds_bucket", 'le="0.05"')).toBeDefined();
    expect(sample(text, "passgate_scan_rejected_total", 'reader="in",reason="control_characters"')).toBe(1);
    expect(sample(text, "passgate_reader_connected", 'reader="in"')).toBe(1);
    expect(sample(text, "passgate_relay_available", 'relay="arm"')).toBe(1);
    expect(sample(text, "passgate_relay_pulses_total", 'relay="arm",outcome="opened"')).toBe(2);
    expect(sample(text, "passgate_allowlist_version")).toBe(7);
    expect(sample(text, "passgate_allowlist_credentials")).toBeGreaterThan(0);
    expect(sample(text, "passgate_allowlist_age_seconds")).toBeGreaterThanOrEqual(0);
    expect(sample(text, "passgate_gate_mode", 'mode="normal"')).toBe(1);
    expect(sample(text, "passgate_gate_mode", 'mode="lockdown"')).toBe(0);
    expect(sample(text, "passgate_build_info", 'version="unknown"')).toBe(1);
    expect(sample(text, "passgate_sync_failures_total")).toBe(0);
    expect(sample(text, "passgate_mqtt_connected")).toBe(0);
    expect(sample(text, "passgate_upload_backlog_events")).toBe(0);
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).not.toContain("PG1:");

    const status = await get(port, "/status");
    expect(status.status).toBe(200);
    const parsed = gateStatusSchema.parse(JSON.parse(status.body));
    expect(parsed).toMatchObject({
      site: SITE,
      gate: "metrics-1",
      mode: "normal",
      broker: { configured: false, connected: false },
      readers: [{ id: "in", direction: "in", state: "connected", scans: 3, rejected: 1 }],
      relays: [{ id: "arm", reader: "in", available: true }],
      allowlist: { version: 7 },
      sync: { configured: false, lastSuccessAt: null, lastError: null, backlog: 0 },
      decisions: { granted: 2, denied: 1 },
    });

    expect(await get(port, "/health")).toMatchObject({ status: 200, body: '{"status":"ok"}\n' });
    expect(await get(port, "/health", "HEAD")).toMatchObject({ status: 200, body: "" });
    // Another process holding the write lock: the gate could not journal now.
    const other = openDatabase(config.storage.path);
    other.exec("BEGIN IMMEDIATE");
    const locked = await get(port, "/health");
    other.exec("ROLLBACK");
    other.close();
    expect(locked).toMatchObject({ status: 503, body: '{"status":"failing","failing":["database"]}\n' });
    expect((await get(port, "/health")).status).toBe(200);

    expect((await get(port, "/nope")).status).toBe(404);
    expect((await get(port, "/metrics/x")).status).toBe(404);
    expect((await get(port, "/metrics", "POST")).status).toBe(405);
    expect((await get(port, "/status", "DELETE")).status).toBe(405);
  });

  it("answers 503 stopping while the gate stops, waits for the pulse in flight, leaves the relay off and publishes offline", async () => {
    const broker = await TestMosquitto.start();
    cleanups.push(() => broker.close());
    const device = new TasmotaEmulator("ts-stop");
    await device.start(broker.url);
    cleanups.push(() => device.stop());
    // The board opens but its confirmation is lost: the stop waits for the driver's timeout.
    device.reportState = false;
    const port = await freeLoopbackPort();
    const { config } = await exampleGate({
      gate: "stop-1",
      http: { listen: `127.0.0.1:${port}` },
      mqtt: { url: broker.url, confirmTimeout: "1500ms" },
      relays: [{ id: "arm", reader: "in", driver: { type: "tasmota", topic: "ts-stop" }, pulse: "20s" }],
    });
    const gate = await runGate(config);
    await until(
      async () =>
        gateStatusSchema.parse(JSON.parse((await get(port, "/status")).body)).relays[0]?.available === true,
    );
    gate.scan(staffToken(nowStep()));
    await waitUntil(() => device.isOn(1), "the board to open");
    const stopping = gate.daemon.stop();
    const health = await get(port, "/health");
    expect(health).toMatchObject({ status: 503, body: '{"status":"failing","failing":["stopping"]}\n' });
    await stopping;
    // PulseTime is 20 s: only the explicit off at stop closes it now.
    await waitUntil(() => !device.isOn(1), "the board to close", 3_000);
    const retained = connect(broker.url);
    cleanups.push(() => retained.endAsync());
    const status = await new Promise<string>((resolve) => {
      retained.on("message", (_t, payload) => resolve(payload.toString()));
      retained.subscribe(`passgate/${SITE}/stop-1/status`);
    });
    expect(status).toBe("offline");
    await expect(get(port, "/health")).rejects.toThrow();
  });

  it("logs a port that cannot be bound and keeps deciding", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(() => resolve())));
    const address = blocker.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    const { config } = await exampleGate({ gate: "busy-1", http: { listen: `127.0.0.1:${address.port}` } });
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const stdin = new PassThrough();
    const daemon = await startDaemon(config, {
      stdin,
      logger: createLogger({ level: "info", destination }),
      clock: systemClock,
    });
    cleanups.push(() => daemon.stop());
    expect(daemon.httpPort()).toBeUndefined();
    const error = lines.find((l) => l.component === "http" && l.level === 50);
    expect(error?.msg).toContain("cannot listen");
    expect(error?.err).toMatchObject({ code: "EADDRINUSE" });
    stdin.write(`${staffToken(nowStep())}\n`);
    await waitUntil(() => daemon.gate.decisionCounts().get("granted:ok") === 1, "the grant");
  });

  it("refuses a non-loopback listen address unless allowRemote is set", () => {
    const base = { site: "s", gate: "g", timezone: "UTC" };
    const remote = configSchema.safeParse({ ...base, http: { listen: "0.0.0.0:9464" } });
    expect(remote.success).toBe(false);
    expect(remote.error?.issues[0]?.path).toEqual(["http", "listen"]);
    expect(remote.error?.issues[0]?.message).toContain("loopback");
    expect(configSchema.safeParse({ ...base, http: { listen: "192.0.2.7:9464" } }).success).toBe(false);
    expect(configSchema.safeParse({ ...base, http: { listen: "[::1]:9464" } }).success).toBe(true);
    expect(
      configSchema.safeParse({ ...base, http: { listen: "0.0.0.0:9464", allowRemote: true } }).success,
    ).toBe(true);
  });
});

async function until(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
