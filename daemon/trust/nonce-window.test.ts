import { describe, expect, it } from "vitest";
import { NonceWindow } from "./nonce-window.js";

describe("NonceWindow over a long stream", () => {
  it("forgets expired pairs as new ones come, so a steady stream never fills it", () => {
    // 200 messages a second with a 240 s window: 48,000 live pairs, against room for 50,000.
    const w = new NonceWindow(240_000, 50_000);
    let now = 1_000_000;
    let largest = 0;
    const verdicts = new Set<string>();
    for (let i = 0; i < 200_000; i++) {
      now += 5;
      verdicts.add(w.admit("gate:a", `n${i}`, now - 3, now));
      largest = Math.max(largest, w.size);
    }
    expect([...verdicts]).toEqual(["fresh"]);
    expect(largest).toBeLessThanOrEqual(48_001);
    // What is still within its bound is still refused.
    expect(w.admit("gate:a", "n199999", now - 3, now)).toBe("repeated");
    expect(w.admit("gate:a", `n${200_000 - 48_000}`, now, now)).toBe("repeated");
  });

  it("keeps a pair admitted again after it expired until its new expiry", () => {
    const w = new NonceWindow(10_000);
    expect(w.admit("m", "n1", 0, 0)).toBe("fresh");
    // n1 expired at 10 s; seen again at 11 s, it is fresh and kept until 21 s.
    expect(w.admit("m", "n1", 11_000, 11_000)).toBe("fresh");
    expect(w.admit("m", "n2", 15_000, 15_000)).toBe("fresh");
    expect(w.admit("m", "n1", 11_000, 20_000)).toBe("repeated");
    expect(w.admit("m", "n3", 21_000, 21_000)).toBe("fresh");
    expect(w.admit("m", "n2", 15_000, 21_000)).toBe("repeated");
    expect(w.size).toBe(2);
  });

  it("still refuses rather than forgets live pairs when full, out of order or not", () => {
    const w = new NonceWindow(10_000, 3);
    expect(w.admit("m", "late", 5_000, 0)).toBe("fresh");
    expect(w.admit("m", "a", 0, 0)).toBe("fresh");
    expect(w.admit("m", "b", 0, 0)).toBe("fresh");
    expect(w.admit("m", "c", 0, 1_000)).toBe("full");
    // At 10 s, a and b expired behind the later `late`: the full sweep finds them.
    expect(w.admit("m", "c", 10_000, 10_000)).toBe("fresh");
    expect(w.admit("m", "late", 5_000, 10_000)).toBe("repeated");
    expect(w.size).toBe(2);
  });
});
