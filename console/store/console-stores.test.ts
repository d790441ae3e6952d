import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../platform/database/database.js";
import type { LaneDecision } from "../api.js";
import { AlarmStore } from "./alarm-store.js";
import { openConsoleDatabase } from "./console-database.js";
import { DECISIONS_KEPT_MS, DecisionStore } from "./decision-store.js";

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "passgate-console-store-"));
  db = openConsoleDatabase(join(dir, "console.db"));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const NOW = Date.parse("2026-12-01T10:00:00Z");

function decision(id: string, at: number, extra: Partial<LaneDecision> = {}): LaneDecision {
  return { id, at, gate: "main-1", reader: "in", direction: "in", result: "granted", reason: "ok", ...extra };
}

describe("the console's stores", () => {
  it("keeps its database private to its owner", () => {
    expect(statSync(join(dir, "console.db")).mode & 0o777).toBe(0o600);
  });

  it("prunes decisions older than two days and keeps the rest searchable", () => {
    const store = new DecisionStore(db);
    store.add(decision("old", NOW - DECISIONS_KEPT_MS - 1, { person: "p-1" }));
    store.add(decision("new", NOW - 1000, { person: "p-1" }));
    store.add(decision("new", NOW - 1000, { person: "p-2" })); // the same id again: kept once, unchanged
    store.prune(NOW);
    expect(store.search("p-1", 0).map((d) => d.id)).toEqual(["new"]);
    expect(store.recent(0, 10)).toHaveLength(1);
  });

  it("searches with the query as data, never as SQL", () => {
    const store = new DecisionStore(db);
    store.add(decision("a", NOW, { person: "p-1", name: "O'Brien" }));
    expect(store.search("' OR 1=1 --", 0)).toEqual([]);
    expect(store.search("o'b", 0).map((d) => d.id)).toEqual(["a"]);
  });

  it("records who acknowledged an alarm, once, and lists open alarms first", () => {
    const alarms = new AlarmStore(db);
    const first = alarms.raise(NOW - 2000, "main-1", "relay_offline", "turnstile");
    const second = alarms.raise(NOW - 1000, "main-1", "gate_offline", undefined);
    expect(alarms.hasOpen("main-1", "relay_offline", "turnstile")).toBe(true);
    expect(alarms.hasOpen("main-1", "relay_offline", "other")).toBe(false);
    expect(alarms.acknowledge(first.id, "anna", NOW)?.acknowledged).toEqual({ by: "anna", at: NOW });
    expect(alarms.acknowledge(first.id, "boris", NOW + 1)).toBeUndefined();
    expect(alarms.list().map((a) => a.id)).toEqual([second.id, first.id]);
    expect(alarms.hasOpen("main-1", "relay_offline", "turnstile")).toBe(false);
  });
});
