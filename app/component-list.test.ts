import { describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import { createLogger } from "../platform/log/logger.js";
import { memoryLogger } from "../test/fixtures/sync-fixture.js";
import { ComponentList, StoppingError } from "./component-list.js";
import { diffConfig } from "./reload/diff-config.js";
import { RecordingComponent } from "./testing/recording-component.js";

const silent = createLogger({ level: "silent" });
const config = configSchema.parse({ site: "s", gate: "g", timezone: "UTC" });
const diff = diffConfig(config, config);

function components(
  log: string[],
  fail: Record<string, ConstructorParameters<typeof RecordingComponent>[2]> = {},
) {
  return ["a", "b", "c"].map((name) => new RecordingComponent(name, log, fail[name]));
}

describe("ComponentList", () => {
  it("starts in the order given and stops in reverse", async () => {
    const log: string[] = [];
    const list = new ComponentList(silent);
    await list.start(components(log));
    expect(list.stopping).toBe(false);
    await list.stop();
    expect(list.stopping).toBe(true);
    expect(log).toEqual(["start a", "start b", "start c", "stop c", "stop b", "stop a"]);
  });

  it("stops only once, however often stop is called", async () => {
    const log: string[] = [];
    const list = new ComponentList(silent);
    await list.start(components(log));
    await Promise.all([list.stop(), list.stop()]);
    await list.stop();
    expect(log.filter((l) => l.startsWith("stop"))).toEqual(["stop c", "stop b", "stop a"]);
  });

  it("a failing start stops the ones already started, in reverse, and rethrows; the rest never start", async () => {
    const log: string[] = [];
    const { logger, lines } = memoryLogger();
    const list = new ComponentList(logger);
    const parts = [...components(log, { c: { start: true } }), new RecordingComponent("d", log)];
    await expect(list.start(parts)).rejects.toThrow("c failed to start");
    expect(log).toEqual(["start a", "start b", "start c", "stop b", "stop a"]);
    expect(lines().find((l) => l.level === 50)).toMatchObject({
      component: "c",
      err: { message: "c failed to start" },
    });
    await list.stop();
    expect(log).toHaveLength(5);
  });

  it("a failing stop is logged and the others still stop", async () => {
    const log: string[] = [];
    const { logger, lines } = memoryLogger();
    const list = new ComponentList(logger);
    await list.start(components(log, { b: { stop: true } }));
    await list.stop();
    expect(log).toEqual(["start a", "start b", "start c", "stop c", "stop b", "stop a"]);
    expect(lines().filter((l) => l.level === 50)).toMatchObject([
      {
        component: "b",
        err: { message: "b failed to stop" },
        msg: "component failed to stop; stopping the others",
      },
    ]);
  });

  it("reloads in start order; a stop waits for the reload under way; a reload asked for after the stop is refused", async () => {
    const log: string[] = [];
    const list = new ComponentList(silent);
    await list.start(components(log));
    const reloading = list.exclusive(() => list.reload(diff));
    // The reload has begun (component a is at it) when the stop is asked for.
    await new Promise((resolve) => setImmediate(resolve));
    const stopping = list.stop();
    await Promise.all([reloading, stopping]);
    expect(log.slice(3)).toEqual(["reload a", "reload b", "reload c", "stop c", "stop b", "stop a"]);
    await expect(list.exclusive(() => list.reload(diff))).rejects.toBeInstanceOf(StoppingError);
  });

  it("a failing reload ends the reload at that component and leaves the list usable", async () => {
    const log: string[] = [];
    const list = new ComponentList(silent);
    await list.start(components(log, { b: { reload: true } }));
    await expect(list.exclusive(() => list.reload(diff))).rejects.toThrow("b failed to reload");
    await list.stop();
    expect(log.slice(3)).toEqual(["reload a", "reload b", "stop c", "stop b", "stop a"]);
  });
});
