import { describe, expect, it } from "vitest";
import { FrameSplitter } from "./frame-splitter.js";
import { RejectionCounters } from "./rejection-counters.js";
import { ScanHygiene } from "./scan-hygiene.js";

describe("ScanHygiene", () => {
  const hygiene = (over: Partial<ConstructorParameters<typeof ScanHygiene>[0]> = {}) =>
    new ScanHygiene({
      maxLength: 16,
      rateLimit: { scans: 3, perMs: 1000 },
      duplicateWindowMs: 2000,
      ...over,
    });

  it("drops a re-read of the same code inside the window, the window restarting on each re-read", () => {
    const h = hygiene();
    expect(h.check("PG1:A", 0)).toBeUndefined();
    expect(h.check("PG1:A", 300)).toBe("duplicate");
    expect(h.check("PG1:A", 2200)).toBe("duplicate"); // held in front of the reader: still one decision
    expect(h.check("PG1:A", 4300)).toBeUndefined();
    expect(h.check("PG1:B", 4400)).toBeUndefined();
    expect(h.check("PG1:A", 4500)).toBeUndefined(); // a different code came between
  });

  it("rate-limits a burst of different codes in a sliding window", () => {
    const h = hygiene();
    const results = Array.from({ length: 6 }, (_, i) => h.check(`PG1:${i}`, i * 10));
    expect(results).toEqual([
      undefined,
      undefined,
      undefined,
      "rate_limited",
      "rate_limited",
      "rate_limited",
    ]);
    expect(h.check("PG1:later", 1000)).toBeUndefined();
  });

  it("keeps reading after the clock steps back: scans from before the step do not fill the window", () => {
    const h = hygiene({ duplicateWindowMs: 0 });
    for (let i = 0; i < 3; i++) expect(h.check(`PG1:ahead-${i}`, 100_000 + i * 400)).toBeUndefined();
    // The gate's clock is corrected 100 s back: the next codes are decided, not rate-limited.
    expect(h.check("PG1:after-0", 1_000)).toBeUndefined();
    expect(h.check("PG1:after-1", 1_400)).toBeUndefined();
    expect(h.check("PG1:after-2", 1_800)).toBeUndefined();
    expect(h.check("PG1:after-3", 1_900)).toBe("rate_limited");
  });

  it("refuses text over maxLength and can turn the other checks off", () => {
    const h = hygiene({ rateLimit: { scans: 0, perMs: 1000 }, duplicateWindowMs: 0 });
    expect(h.check("x".repeat(17), 0)).toBe("too_long");
    for (let i = 0; i < 100; i++) expect(h.check("PG1:same", i)).toBeUndefined();
  });
});

describe("RejectionCounters", () => {
  it("counts per reader and reason", () => {
    const c = new RejectionCounters();
    c.add("in", "duplicate");
    c.add("in", "duplicate");
    c.add("out", "not_utf8");
    expect(c.forReader("in")).toMatchObject({ duplicate: 2, too_long: 0 });
    expect(c.snapshot()).toEqual({ in: { duplicate: 2 }, out: { not_utf8: 1 } });
  });
});

describe("FrameSplitter", () => {
  function split(term: string, chunks: Buffer[], maxBytes = 8) {
    const out: string[] = [];
    const s = new FrameSplitter({
      terminator: Buffer.from(term),
      maxBytes,
      onFrame: (f) => out.push(f.toString("latin1")),
      onOversized: () => out.push("<too_long>"),
    });
    for (const c of chunks) s.push(c);
    s.flush();
    return out;
  }

  it("finds a CRLF split across chunks and keeps spaces", () => {
    expect(split("\r\n", [Buffer.from(" a \r"), Buffer.from("\nb\r"), Buffer.from("\n")])).toEqual([
      " a ",
      "b",
    ]);
  });

  it("delivers a frame of exactly maxBytes and drops maxBytes + 1 whole", () => {
    expect(split("\r\n", [Buffer.from("12345678\r\n123456789\r\nok\r\n")])).toEqual([
      "12345678",
      "<too_long>",
      "ok",
    ]);
  });

  it("still sees a terminator split across chunks while overflowing", () => {
    expect(split("\r\n", [Buffer.alloc(100, 0x41), Buffer.from("\r"), Buffer.from("\nok\r\n")])).toEqual([
      "<too_long>",
      "ok",
    ]);
  });

  it("with no terminator, ends frames only on flush, overflow included", () => {
    expect(split("", [Buffer.from("abc")])).toEqual(["abc"]);
    expect(split("", [Buffer.alloc(64 * 1024, 0x41)])).toEqual(["<too_long>"]);
  });
});
