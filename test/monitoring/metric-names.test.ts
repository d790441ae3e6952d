import { afterEach, describe, expect, it } from "vitest";
import { exampleGate, nowStep, runGate, staffToken } from "../../app/testing/mqtt-gate-fixture.js";
import { freeLoopbackPort, TestMosquitto, waitUntil } from "../../daemon/mqtt/testing/mosquitto.js";
import { TasmotaEmulator } from "../../sim/devices/tasmota-emulator.js";
import { alertRules, dashboard, dashboardExpressions, metricNames } from "./monitoring-files.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Series Prometheus makes itself, not the gate. */
const PROMETHEUS_SERIES = new Set(["up"]);

/** Every series name a scrape can hold: each `# TYPE` line's metric, a histogram's three series. */
function exposedNames(scrape: string): Set<string> {
  const names = new Set<string>();
  for (const m of scrape.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m;
    if (name === undefined) continue;
    if (type === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(`${name}${s}`);
    else names.add(name);
  }
  return names;
}

describe("the metrics the alert rules and the dashboard read", () => {
  it("are all served by a real gate's /metrics", async () => {
    const broker = await TestMosquitto.start();
    cleanups.push(() => broker.close());
    const board = new TasmotaEmulator("ts-names");
    await board.start(broker.url);
    cleanups.push(() => board.stop());
    const port = await freeLoopbackPort();
    const { config } = await exampleGate({
      gate: "names-1",
      http: { listen: `127.0.0.1:${port}` },
      mqtt: { url: broker.url },
      relays: [{ id: "arm", reader: "in", driver: { type: "tasmota", topic: "ts-names" } }],
    });
    const gate = await runGate(config);
    cleanups.push(gate.stop);
    gate.scan(staffToken(nowStep()));
    await waitUntil(() => gate.daemon.gate.decisionCounts().size > 0, "a decision");
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    const exposed = exposedNames(await response.text());

    const used = new Map<string, string>();
    for (const rule of alertRules())
      for (const n of metricNames(rule.expr)) used.set(n, `alert ${rule.alert}`);
    for (const expr of dashboardExpressions(dashboard()))
      for (const n of metricNames(expr)) used.set(n, `dashboard query ${expr}`);
    expect(used.size).toBeGreaterThan(10);
    const missing = [...used]
      .filter(([name]) => !PROMETHEUS_SERIES.has(name) && !exposed.has(name))
      .map(([name, where]) => `${name} (${where})`);
    expect(missing).toEqual([]);
  });
});
