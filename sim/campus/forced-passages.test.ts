import { describe, expect, it } from "vitest";
import { ForcedPassages } from "./forced-passages.js";

describe("ForcedPassages", () => {
  it("matches each alarm to a forced rotation at its lane, and counts the rest as false alarms", () => {
    const forced = new ForcedPassages();
    forced.rotated("gate-1", "in", 1_000);
    forced.rotated("gate-2", "out", 2_000);
    forced.alarmed("gate-1", "in", 1_500);
    // A second alarm at gate-1/in: its one rotation is taken.
    forced.alarmed("gate-1", "in", 1_600);
    // Another lane's rotation is no cover.
    forced.alarmed("gate-1", "out", 2_100);
    expect(forced).toMatchObject({ rotations: 2, alarms: 1, falseAlarms: 2 });
  });

  it("takes no rotation made after the alarm, or more than 30 s before it", () => {
    const forced = new ForcedPassages();
    forced.rotated("gate-1", "in", 10_000);
    forced.alarmed("gate-1", "in", 9_000);
    forced.alarmed("gate-1", "in", 40_001);
    expect(forced).toMatchObject({ rotations: 1, alarms: 0, falseAlarms: 2 });
    forced.rotated("gate-1", "in", 50_000);
    forced.alarmed("gate-1", "in", 50_400);
    expect(forced).toMatchObject({ rotations: 2, alarms: 1, falseAlarms: 2 });
  });
});
