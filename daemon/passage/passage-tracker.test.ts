import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../platform/database/database.js";
import { createLogger } from "../../platform/log/logger.js";
import { FakeClock } from "../../platform/testing/fake-clock.js";
import { Journal } from "../journal/journal.js";
import { waitUntil } from "../mqtt/testing/mosquitto.js";
import { migrateGateState } from "../state/gate-state-schema.js";
import { PresenceStore } from "../state/presence-store.js";
import { type PassageOutcome, PassageTracker, type PendingGrant } from "./passage-tracker.js";

function tracker(timeoutMs: number) {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), "passgate-passage-")), "gate.db"));
  migrateGateState(db);
  const journal = Journal.open(db);
  const presence = new PresenceStore(db);
  const clock = new FakeClock(1_000_000);
  const outcomes: PassageOutcome[] = [];
  const t = new PassageTracker(
    { gate: "g", zone: "campus", timeouts: new Map([["in", timeoutMs]]) },
    {
      db,
      journal,
      presence,
      clock,
      logger: createLogger({ level: "silent" }),
      report: (o) => outcomes.push(o),
    },
  );
  return { t, journal, presence, clock, outcomes };
}

const grant = (person: string, decisionId: string): PendingGrant => ({
  decisionId,
  reader: "in",
  direction: "in",
  credential: "42",
  person,
  at: 1_000_000,
});

describe("PassageTracker", () => {
  it("matches rotations to grants oldest first; the unmatched grant times out as not_passed", async () => {
    const { t, presence, outcomes, journal, clock } = tracker(200);
    expect(t.senses("in")).toBe(true);
    expect(t.senses("out")).toBe(false);
    t.granted(grant("p-1", "d-1"));
    t.granted(grant("p-2", "d-2"));
    clock.advance(500);
    t.rotated("in", "in");
    expect(outcomes).toEqual([{ result: "passed", grant: grant("p-1", "d-1"), at: 1_000_500 }]);
    expect(presence.last("p-1", "campus")).toEqual({ direction: "in", at: 1_000_500 });
    await waitUntil(() => outcomes.length === 2, "the second grant's timeout", 3_000);
    expect(outcomes[1]).toMatchObject({ result: "not_passed", grant: { person: "p-2" } });
    expect(presence.last("p-2", "campus")).toBeUndefined();
    // A rotation with nothing waiting: an alarm, and nobody's presence moves.
    t.rotated("in", "in");
    expect(outcomes[2]).toMatchObject({ result: "forced_passage", reader: "in" });
    expect(
      journal
        .tail(10)
        .map((e) => `${e.kind}:${e.reason}:${e.person ?? "-"}:${String(e.data.decision ?? "-")}`),
    ).toEqual(["passage:passed:p-1:d-1", "passage:not_passed:p-2:d-2", "alarm:forced_passage:-:-"]);
    t.stop();
  });

  it("ignores grants at readers without a sensor", () => {
    const { t, outcomes } = tracker(50);
    t.granted({ ...grant("p-1", "d-1"), reader: "out" });
    t.rotated("in", "in");
    expect(outcomes).toEqual([expect.objectContaining({ result: "forced_passage" })]);
    t.stop();
  });
});
