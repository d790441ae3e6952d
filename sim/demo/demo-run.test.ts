import { EventEmitter } from "node:events";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { systemClock } from "../../platform/clock.js";
import { createLogger } from "../../platform/log/logger.js";
import { ScriptedCampus } from "../campus/testing/scripted-campus.js";
import { scriptedEvents } from "../campus/testing/scripted-events.js";
import { DemoRun, type DemoRunOptions, DemoStartError, type KeyInput } from "./demo-run.js";

class FakeKeys extends EventEmitter implements KeyInput {
  readonly rawModes: boolean[] = [];
  paused = false;
  setRawMode(raw: boolean): this {
    this.rawModes.push(raw);
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  pause(): this {
    this.paused = true;
    return this;
  }
  press(keys: string): void {
    this.emit("data", Buffer.from(keys));
  }
}

function output(): { out: PassThrough & { columns: number; rows: number }; text: () => string } {
  const out = Object.assign(new PassThrough(), { columns: 100, rows: 40 });
  let text = "";
  out.on("data", (c: Buffer) => {
    text += c.toString();
  });
  return { out, text: () => text };
}

function options(overrides: Partial<DemoRunOptions>): DemoRunOptions {
  return {
    dir: "/demo",
    gates: 2,
    rate: 30,
    faults: true,
    logger: createLogger({ level: "silent" }),
    clock: systemClock,
    out: output().out,
    screen: false,
    color: false,
    timeZone: "UTC",
    exitNow: () => {
      throw new Error("exitNow called");
    },
    ...overrides,
  };
}

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
};

describe("DemoRun", () => {
  it("passes the options to the campus and prints one plain line per event until the campus is done", async () => {
    const { out, text } = output();
    const starter = ScriptedCampus.starter(1);
    const result = await new DemoRun(
      options({ out, durationMs: 5000, brokerUrl: "mqtt://10.0.0.1:1883" }),
      starter.start,
    ).run();
    expect(starter.started[0]?.options).toMatchObject({
      dir: "/demo",
      gates: 2,
      peoplePerMinutePerLane: 30,
      faults: true,
      durationMs: 5000,
      brokerUrl: "mqtt://10.0.0.1:1883",
    });
    expect(result.interrupted).toBe(false);
    expect(result.summary.falseAccepts).toBe(0);
    const lines = text().trimEnd().split("\n");
    expect(lines[0]).toBe(
      "passgate demo: broker mqtt://127.0.0.1:41883, registry http://127.0.0.1:40080, gates gate-1, gate-2; stops after 5 s",
    );
    expect(lines).toContain("09:00:01.001 gate-1/in    granted     p-1001 valid: ok 412 µs");
    expect(lines).toHaveLength(1 + 21);
    expect(text()).not.toContain("\x1b");
  });

  it("stops the campus on the first interrupt and reports it", async () => {
    const starter = ScriptedCampus.starter(1000);
    const run = new DemoRun(options({}), starter.start);
    const finished = run.run();
    await until(() => starter.started.length === 1);
    run.interrupt();
    const result = await finished;
    expect(result.interrupted).toBe(true);
    expect(starter.started[0]?.stops).toBe(1);
  });

  it("takes over the screen with keys and gives the terminal back at the end", async () => {
    const { out, text } = output();
    const keys = new FakeKeys();
    const starter = ScriptedCampus.starter(1);
    const run = new DemoRun(options({ out, screen: true, color: true, keys }), starter.start);
    const finished = run.run();
    await until(() => text().includes("GRANTED"));
    await until(() => text().includes("p-4004"));
    keys.press("v");
    keys.press("r");
    await until(() => text().includes("registry revoked"));
    keys.press("q");
    const result = await finished;
    const campus = starter.started[0];
    expect(result.interrupted).toBe(true);
    expect(campus?.visitors).toEqual(["v-9001"]);
    expect(campus?.revoked).toHaveLength(1);
    expect(["p-1001", "p-4004"]).toContain(campus?.revoked[0]);
    expect(text().startsWith("\x1b[?1049h\x1b[?25l")).toBe(true);
    expect(text().endsWith("\x1b[?25h\x1b[?1049l")).toBe(true);
    expect(text()).toContain("q quit");
    expect(keys.rawModes).toEqual([true, false]);
    expect(keys.paused).toBe(true);
    expect(keys.listenerCount("data")).toBe(0);
  });

  it("leaves at once on a second interrupt (Ctrl-C twice in raw mode), terminal restored first", async () => {
    const { out, text } = output();
    const keys = new FakeKeys();
    const starter = ScriptedCampus.starter(1000);
    let exited = "";
    const run = new DemoRun(
      options({
        out,
        screen: true,
        keys,
        exitNow: () => {
          exited = text();
        },
      }),
      starter.start,
    );
    // A campus that never finishes stopping: only the second Ctrl-C gets out.
    const finished = run.run();
    await until(() => starter.started.length === 1);
    const campus = starter.started[0] as ScriptedCampus;
    campus.stop = () => new Promise(() => {});
    keys.press("\x03");
    await until(() => text().includes("stopping the campus"));
    keys.press("\x03");
    expect(exited.endsWith("\x1b[?25h\x1b[?1049l")).toBe(true);
    expect(keys.rawModes).toEqual([true, false]);
    void finished;
  });

  it("says what failed, and which broker, when the campus does not start", async () => {
    const refused = async () => {
      throw new Error("connect ECONNREFUSED 127.0.0.1:9");
    };
    const run = new DemoRun(options({ brokerUrl: "mqtt://gate:pw@127.0.0.1:9" }), refused);
    const failure = await run.run().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(DemoStartError);
    expect((failure as DemoStartError).message).toBe(
      "could not start the demo campus: connect ECONNREFUSED 127.0.0.1:9 — is the broker at mqtt://127.0.0.1:9 running and reachable?",
    );
  });

  it("starts the console once the campus is up, prints its login line second, keeps the events meanwhile, and stops it when the run ends", async () => {
    const { out, text } = output();
    const starter = ScriptedCampus.starter(1);
    const order: string[] = [];
    const member = {
      id: "operator:console",
      kind: "operator" as const,
      roles: ["guard" as const, "admin" as const],
      publicKey: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
      status: "active" as const,
    };
    const result = await new DemoRun(
      options({
        out,
        durationMs: 5000,
        console: {
          member,
          start: async (campus, embedded) => {
            order.push(`console start ${campus.brokerUrl} embedded=${embedded}`);
            // The crowd walks on while the console starts.
            await new Promise((r) => setTimeout(r, 30));
            return {
              url: "http://127.0.0.1:8480",
              loginUrl: "http://127.0.0.1:8480/#login=abc",
              stop: async () => {
                order.push(
                  `console stop (campus stops so far: ${(starter.started[0] as ScriptedCampus).stops})`,
                );
              },
            };
          },
        },
      }),
      starter.start,
    ).run();
    expect(starter.started[0]?.options.members).toEqual([member]);
    expect(order).toEqual([
      "console start mqtt://127.0.0.1:41883 embedded=true",
      "console stop (campus stops so far: 1)",
    ]);
    const lines = text().split("\n");
    expect(lines[1]).toBe(
      "passgate demo: console http://127.0.0.1:8480 — open http://127.0.0.1:8480/#login=abc to log in as admin (the link works once, for 10 minutes)",
    );
    // Every scripted event is shown, those that came while the console started included.
    expect(lines.filter((l) => /^\d\d:\d\d:\d\d\.\d{3} /.test(l)).length).toBe(scriptedEvents().length);
    expect(result.interrupted).toBe(false);
  });
});
