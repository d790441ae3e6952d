import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../platform/database/database.js";
import { createLogger } from "../../platform/log/logger.js";
import { FakeClock } from "../../platform/testing/fake-clock.js";
import type { MqttConnection } from "../mqtt/mqtt-connection.js";
import { gateTopics } from "../mqtt/topics.js";
import { migrateGateState } from "../state/gate-state-schema.js";
import { PresenceStore } from "../state/presence-store.js";
import { ReplayGuard } from "../state/replay-guard.js";
import { SiteShare } from "./site-share.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The part of MqttConnection SiteShare uses, delivering what the test hands it. */
function fakeConnection() {
  const handlers = new Map<string, (topic: string, value: unknown) => void>();
  const connection = {
    subscribeParsed: (
      topic: string,
      _k: string,
      _s: unknown,
      _n: string,
      on: (t: string, v: unknown) => void,
    ) => {
      handlers.set(topic, on);
      return () => handlers.delete(topic);
    },
    onConnection: () => () => {},
    publish: () => true,
  };
  return {
    connection: connection as unknown as MqttConnection,
    deliver: (topic: string, v: unknown) => handlers.get(topic)?.(topic, v),
  };
}

describe("SiteShare and the gate's clock", () => {
  it("keeps a pair from another gate that looks expired by a clock running ahead", () => {
    const dir = mkdtempSync(join(tmpdir(), "passgate-site-clock-"));
    dirs.push(dir);
    const db = openDatabase(join(dir, "gate.db"));
    migrateGateState(db);
    const replay = new ReplayGuard(db);
    const topics = gateTopics({ prefix: "passgate", site: "s", gate: "gate-b" });
    const { connection, deliver } = fakeConnection();
    const step = 60_000_000;
    // Gate B's clock is 100 s ahead: by it, the pair (live for 90 s after its step began) has expired.
    const clock = new FakeClock(step * 30_000 + 15_000 + 100_000);
    const share = new SiteShare(connection, topics, {
      gate: "gate-b",
      replay,
      presence: new PresenceStore(db),
      clock,
      logger: createLogger({ level: "silent" }),
    });
    share.start();
    deliver(topics.sharedReplay, { gate: "gate-a", credential: "42", step, expiresAt: (step + 3) * 30_000 });
    // Once the clock is stepped back, the screenshot of that code must still be refused.
    expect(replay.seen("42", step)).toBe(true);
    deliver(topics.sharedReplay, { gate: "gate-b", credential: "43", step, expiresAt: (step + 3) * 30_000 });
    expect(replay.seen("43", step)).toBe(false);
    share.stop();
    db.close();
  });
});
