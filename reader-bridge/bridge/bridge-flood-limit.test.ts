import { describe, expect, it } from "vitest";
import { BridgeFloodLimit } from "./bridge-flood-limit.js";

describe("BridgeFloodLimit", () => {
  it("lets a bridge deliver its burst, then its rate, each bridge on its own budget", () => {
    const limit = new BridgeFloodLimit(3, 2);
    const at0 = [1, 2, 3, 4].map(() => limit.admit("bridge:a", 0));
    expect(at0).toEqual([true, true, true, false]);
    expect(limit.admit("bridge:b", 0)).toBe(true);
    // Two a second come back: one after 500 ms, not two.
    expect(limit.admit("bridge:a", 500)).toBe(true);
    expect(limit.admit("bridge:a", 500)).toBe(false);
    // Never more than the burst, however long it was quiet; a clock stepped back refills nothing.
    expect([1, 2, 3, 4].map(() => limit.admit("bridge:a", 60_000))).toEqual([true, true, true, false]);
    expect(limit.admit("bridge:a", 0)).toBe(false);
  });
});
