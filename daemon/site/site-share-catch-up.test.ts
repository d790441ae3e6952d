import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
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
  vi.useRealTimers();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The part of MqttConnection SiteShare uses: a broker link the test takes down and up. */
function fakeConnection() {
  const listeners: ((up: boolean) => void)[] = [];
  const sent: { topic: string; item: Record<string, unknown> }[] = [];
  let up = false;
  const connection = {
    subscribeParsed: () => () => {},
    onConnection: (l: (up: boolean) => void) => {
      listeners.push(l);
      return () => undefined;
    },
    publish: (topic: string, payload: string) => {
      if (up) sent.push({ topic, item: JSON.parse(payload) as Record<string, unknown> });
      return up;
    },
    get connected() {
      return up;
    },
  };
  return {
    connection: connection as unknown as MqttConnection,
    sent,
    setUp(value: boolean) {
      up = value;
      for (const l of listeners) l(value);
    },
  };
}

/** Gate A's site share over a broker link that starts down, on a fake clock. */
function gateA() {
  const dir = mkdtempSync(join(tmpdir(), "passgate-site-catch-up-"));
  dirs.push(dir);
  const db = openDatabase(join(dir, "gate.db"));
  migrateGateState(db);
  const topics = gateTopics({ prefix: "passgate", site: "s", gate: "gate-a" });
  const link = fakeConnection();
  const clock = new FakeClock(1_000_000);
  const share = new SiteShare(link.connection, topics, {
    gate: "gate-a",
    replay: new ReplayGuard(db),
    presence: new PresenceStore(db),
    clock,
    logger: createLogger({ level: "silent" }),
  });
  share.start();
  return { db, topics, link, clock, share };
}

describe("SiteShare after a broker outage", () => {
  it("sends what it learned offline on reconnect, and again for gates that come back later", () => {
    vi.useFakeTimers();
    const { db, topics, link, clock, share } = gateA();

    // Learned while the broker is away: one pair live for 20 s, one for a minute, one passage.
    share.shareReplay("42", 7, clock.now() + 20_000);
    share.shareReplay("43", 7, clock.now() + 60_000);
    share.sharePassage("p-1", "campus", "in", clock.now());
    expect(link.sent).toEqual([]);

    link.setUp(true);
    const credentials = () =>
      link.sent.filter((s) => s.topic === topics.sharedReplay).map((s) => s.item.credential);
    const passages = () => link.sent.filter((s) => s.topic === topics.sharedPassage).length;
    expect(credentials()).toEqual(["42", "43"]);
    expect(passages()).toBe(1);

    // A gate that reconnects a little later still hears it.
    clock.advance(2_000);
    vi.advanceTimersByTime(2_000);
    expect(credentials()).toEqual(["42", "43", "42", "43"]);
    expect(passages()).toBe(2);

    // The pair that has expired by the later repeats is not sent again; the live one is.
    clock.advance(8_000);
    vi.advanceTimersByTime(8_000);
    clock.advance(20_000);
    vi.advanceTimersByTime(20_000);
    expect(credentials()).toEqual(["42", "43", "42", "43", "42", "43", "43"]);
    expect(passages()).toBe(4);

    // Nothing more after the last repeat, nor after the stop.
    vi.advanceTimersByTime(120_000);
    expect(credentials()).toHaveLength(7);
    share.stop();
    db.close();
  });

  it("sends nothing again after a stop", () => {
    vi.useFakeTimers();
    const { db, link, clock, share } = gateA();
    share.shareReplay("42", 7, clock.now() + 60_000);
    link.setUp(true);
    expect(link.sent).toHaveLength(1);
    share.stop();
    vi.advanceTimersByTime(60_000);
    expect(link.sent).toHaveLength(1);
    db.close();
  });
});
