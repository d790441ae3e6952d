import { describe, expect, it } from "vitest";
import { SCRIPT_START, scriptedEvents } from "../campus/testing/scripted-events.js";
import { DemoViewModel } from "./demo-view-model.js";
import { timeOfDay } from "./event-line.js";
import { LatencyHistogram } from "./latency-histogram.js";
import { formatUptime, renderScreen, type ScreenFrame } from "./live-screen.js";
import { fitText, renderCells, stripAnsi, visibleLength } from "./text-cells.js";

function scriptedModel(): DemoViewModel {
  const model = new DemoViewModel(["gate-1", "gate-2"], new Set(["gate-1/in"]));
  for (const event of scriptedEvents()) model.apply(event);
  return model;
}

function frame(overrides: Partial<ScreenFrame> = {}): ScreenFrame {
  return {
    width: 120,
    height: 50,
    color: false,
    now: SCRIPT_START + 83_000,
    startedAt: SCRIPT_START,
    brokerUrl: "mqtt://127.0.0.1:41883",
    embeddedBroker: true,
    registryUrl: "http://127.0.0.1:40080",
    time: timeOfDay("UTC"),
    keys: true,
    stopping: false,
    ...overrides,
  };
}

const ESC = "\x1b";

describe("renderScreen", () => {
  const sizes: [number, number][] = [
    [20, 5],
    [40, 12],
    [80, 24],
    [120, 50],
    [200, 60],
  ];
  describe.each(sizes)("on a %i×%i terminal", (width, height) => {
    it.each([false, true])("keeps within the screen (colour %s)", (color) => {
      const lines = renderScreen(scriptedModel(), frame({ width, height, color }));
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.length).toBeLessThanOrEqual(height - 1);
      for (const line of lines) expect(visibleLength(line)).toBeLessThanOrEqual(width);
      expect(lines.some((l) => l.includes(ESC))).toBe(color);
      // The totals are cut last: they stay on every screen with room for them.
      if (height >= 12) expect(lines.some((l) => stripAnsi(l).startsWith("scans"))).toBe(true);
    });
  });

  it("shows the web console's login link in the header, right under the broker and registry", () => {
    const login = "http://127.0.0.1:8480/#login=tkUfZwzuTYrhuG0QiONYFBBmEO-zXm9ACP70WIq9nZg";
    const lines = renderScreen(scriptedModel(), frame({ consoleLogin: login })).map(stripAnsi);
    const broker = lines.findIndex((l) => l.startsWith("broker "));
    expect(lines[broker + 1]).toBe(`console ${login}`);
    expect(renderScreen(scriptedModel(), frame()).join("\n")).not.toContain("console ");
  });

  it("shows the header, every lane's decisions, sync, faults and totals", () => {
    const text = renderScreen(scriptedModel(), frame()).join("\n");
    expect(text).toContain("passgate demo  up 00:01:23");
    expect(text).toContain("r revoke someone");
    expect(text).toContain("broker mqtt://127.0.0.1:41883 (embedded)   registry http://127.0.0.1:40080");
    expect(text).toContain("allowlist  gate-1 v2 · gate-2 v1 (sync failing)");
    expect(text).toMatch(/gate-1 {3}relays {2}in □ shut ×1 {2}out ■ open ×1/);
    // gate-1's in lane is read through a reader bridge; no other lane says so.
    expect(text).toMatch(/^ {2}in +via bridge/m);
    expect(text.match(/via bridge/g)).toHaveLength(1);
    expect(text).toMatch(/ {4}09:00:01\.001 {2}GRANTED ok +412 µs {2}p-1001 +valid/);
    expect(text).toMatch(/ {4}09:00:02\.501 {2}denied {2}replayed +1 204 µs {2}p-1001 +replay_other_gate/);
    expect(text).toContain("out    last passage 09:00:05.400 turned back");
    expect(text).toContain("09:00:03.500  registry revoked p-3003 → v2");
    expect(text).toContain("09:00:04.100  gate-2 sync failed: registry unreachable");
    expect(text).toContain("faults  broker_restart since 09:00:06.000");
    expect(text).toContain("09:00:05.000  registry_down ended");
    expect(text).toContain("scans 4  granted 2  denied 2  false accepts 0  false rejects 0");
    expect(text).toMatch(
      /decision p50 3\d\d µs {2}p99 1 204 µs {3}relay opens 2 {2}passages 1 {2}turned back 1/,
    );
    expect(text).toContain("denied by reason expired 1 · replayed 1");
  });

  it("colours results, and a false accept as an alarm, only when asked", () => {
    const model = scriptedModel();
    model.apply({
      kind: "decision",
      at: SCRIPT_START + 7000,
      gate: "gate-2",
      reader: "in",
      person: "p-9",
      scenario: "revoked",
      expect: "deny",
      result: "grant",
      reason: "ok",
      micros: 300,
    });
    const plain = renderScreen(model, frame()).join("\n");
    expect(plain).toContain("FALSE ACCEPT");
    expect(plain).toMatch(/false accepts 1/);
    const coloured = renderScreen(model, frame({ color: true })).join("\n");
    expect(coloured).toContain(`${ESC}[1;97;41mFALSE ACCEPT${ESC}[0m`);
    expect(coloured).toContain(`${ESC}[32mGRANTED ${ESC}[0m`);
    expect(coloured).toContain(`${ESC}[31mdenied  ${ESC}[0m`);
  });

  it("says when it is stopping and leaves out the key help without keys", () => {
    const text = renderScreen(scriptedModel(), frame({ stopping: true, keys: false })).join("\n");
    expect(text).toContain("stopping the campus…");
    expect(renderScreen(scriptedModel(), frame({ keys: false })).join("\n")).toContain("Ctrl-C stop");
    expect(renderScreen(scriptedModel(), frame({ keys: false })).join("\n")).not.toContain("r revoke");
  });

  it("shows fewer rows per lane on a short terminal and the newest first", () => {
    const model = new DemoViewModel(["gate-1"]);
    for (let i = 0; i < 20; i++) {
      model.apply({
        kind: "decision",
        at: SCRIPT_START + i * 1000,
        gate: "gate-1",
        reader: "in",
        person: `p-${i}`,
        scenario: "valid",
        expect: "grant",
        result: "grant",
        reason: "ok",
        micros: 100 + i,
      });
    }
    const rows = (height: number) =>
      renderScreen(model, frame({ height })).filter((l) => l.includes("GRANTED"));
    expect(rows(50)).toHaveLength(6);
    expect(rows(50)[0]).toContain("p-19");
    expect(rows(24).length).toBeLessThan(6);
    expect(rows(24).length).toBeGreaterThanOrEqual(1);
  });
});

describe("renderCells", () => {
  it.each([
    [[{ text: "abc" }, { text: "def" }], 10, false, "abcdef"],
    [[{ text: "abc" }, { text: "def" }], 4, false, "abc…"],
    [[{ text: "abcdef" }], 6, false, "abcdef"],
    [[{ text: "Иванова А. С." }], 8, false, "Иванова…"],
    [[{ text: "ok", style: "green" as const }], 10, true, `${ESC}[32mok${ESC}[0m`],
    [[{ text: "ok", style: "green" as const }], 10, false, "ok"],
    [[{ text: "a\x1b[2Jb" }], 10, false, "a [2Jb"],
  ])("%j in %i columns (colour %s) → %j", (cells, width, color, line) => {
    expect(renderCells(cells, width, color)).toBe(line);
  });

  it("pads and cuts to a width", () => {
    expect(fitText("in", 4)).toBe("in  ");
    expect(fitText("replay_other_gate", 8)).toBe("replay_…");
  });
});

describe("DemoViewModel", () => {
  it("counts the scripted story", () => {
    const model = scriptedModel();
    expect(model.totals).toMatchObject({
      scans: 4,
      granted: 2,
      denied: 2,
      falseAccepts: 0,
      falseRejects: 0,
      relayOpens: 2,
      passed: 1,
      turnedBack: 1,
    });
    expect(Object.fromEntries(model.totals.deniedByReason)).toEqual({ replayed: 1, expired: 1 });
    expect(model.gates.get("gate-1")?.version).toBe(2);
    expect(model.gates.get("gate-2")?.syncError).toBe("registry unreachable");
    expect([...model.activeFaults.keys()]).toEqual(["broker_restart"]);
    expect([...model.validPeople].sort()).toEqual(["p-1001", "p-4004"]);
  });

  it("keeps a bounded number of rows however long it runs", () => {
    const model = new DemoViewModel();
    for (let i = 0; i < 5000; i++) {
      model.apply({ kind: "sync", at: i, gate: "gate-1", version: i, ok: true });
      model.apply({
        kind: "decision",
        at: i,
        gate: "gate-1",
        reader: "in",
        person: "p",
        scenario: "valid",
        expect: "grant",
        result: "grant",
        reason: "ok",
        micros: 1,
      });
    }
    expect(model.syncLog.length).toBeLessThanOrEqual(30);
    expect(model.gates.get("gate-1")?.lanes.get("in")?.recent.length).toBeLessThanOrEqual(30);
    expect(model.totals.granted).toBe(5000);
  });
});

describe("LatencyHistogram", () => {
  it("reports quantiles within 2 % above the true value", () => {
    const h = new LatencyHistogram();
    expect(h.quantile(0.5)).toBeUndefined();
    for (let us = 1; us <= 1000; us++) h.record(us);
    const p50 = h.quantile(0.5) ?? 0;
    const p99 = h.quantile(0.99) ?? 0;
    expect(p50).toBeGreaterThanOrEqual(500);
    expect(p50).toBeLessThanOrEqual(510);
    expect(p99).toBeGreaterThanOrEqual(990);
    expect(p99).toBeLessThanOrEqual(1000);
    expect(h.max).toBe(1000);
    expect(h.count).toBe(1000);
  });
});

describe("formatUptime", () => {
  it.each([
    [0, "00:00:00"],
    [83_999, "00:01:23"],
    [3_600_000 * 101, "101:00:00"],
  ])("%i ms → %s", (ms, text) => {
    expect(formatUptime(ms)).toBe(text);
  });
});
