import { describe, expect, it } from "vitest";
import { watchdogHealthy } from "./health.js";

describe("watchdogHealthy", () => {
  it("feeds the watchdog when healthy or when only the database file is damaged (a restart cannot mend it)", () => {
    expect(watchdogHealthy({ ok: true, failing: [] })).toBe(true);
    expect(watchdogHealthy({ ok: false, failing: ["database_corrupt"] })).toBe(true);
  });

  it("starves it when the database cannot be written or the gate is stopping, damaged or not", () => {
    expect(watchdogHealthy({ ok: false, failing: ["database"] })).toBe(false);
    expect(watchdogHealthy({ ok: false, failing: ["database", "database_corrupt"] })).toBe(false);
    expect(watchdogHealthy({ ok: false, failing: ["stopping"] })).toBe(false);
  });
});
