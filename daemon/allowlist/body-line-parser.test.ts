import { describe, expect, it } from "vitest";
import { inThreadLineParser, MALFORMED, OffThreadLineParser } from "./body-line-parser.js";

/** `texts` side by side, as a body's split lines reach a parser. */
function batch(texts: string[]): { bytes: Buffer; ends: number[] } {
  const parts = texts.map((t) => Buffer.from(t, "utf8"));
  const ends: number[] = [];
  let at = 0;
  for (const p of parts) {
    at += p.length;
    ends.push(at);
  }
  return { bytes: Buffer.concat(parts), ends };
}

const LINES = [
  '{"type":"put","credential":{"id":"42","person":"p-42","name":"Zoë Ørsted"}}',
  "garbage {",
  "",
  "[1,2]",
  '{"__proto__":{"polluted":true},"n":-0}',
  "null",
];

describe.each([
  ["OffThreadLineParser", () => new OffThreadLineParser()],
  ["inThreadLineParser", () => inThreadLineParser],
])("%s", (_name, make) => {
  it("turns each line into the value JSON.parse makes of it, and a line that is not JSON into MALFORMED", async () => {
    const parser = make();
    try {
      const values = await parser.parse(batch(LINES));
      expect(values).toHaveLength(LINES.length);
      expect(values[0]).toEqual({
        type: "put",
        credential: { id: "42", person: "p-42", name: "Zoë Ørsted" },
      });
      expect(values[1]).toBe(MALFORMED);
      expect(values[2]).toBe(MALFORMED);
      expect(values[3]).toEqual([1, 2]);
      // An own property named __proto__ stays one; nothing reaches Object.prototype.
      expect(Object.hasOwn(values[4] as object, "__proto__")).toBe(true);
      expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
      expect(values[5]).toBeNull();
      // Batches come back in the order they were given, each whole.
      const [a, b] = await Promise.all([
        parser.parse(batch(['{"a":1}'])),
        parser.parse(batch(['{"b":2}', "3"])),
      ]);
      expect([a, b]).toEqual([[{ a: 1 }], [{ b: 2 }, 3]]);
    } finally {
      await parser.stop();
    }
  });
});

describe("OffThreadLineParser", () => {
  it("rejects the parses it held when it is stopped, and starts a thread again for the next", async () => {
    const parser = new OffThreadLineParser();
    const big = batch(Array.from({ length: 20_000 }, (_, i) => `{"id":"${i}"}`));
    const held = expect(parser.parse(big)).rejects.toThrow("stopped");
    await parser.stop();
    await held;
    try {
      expect(await parser.parse(batch(['{"again":true}']))).toEqual([{ again: true }]);
    } finally {
      await parser.stop();
    }
  });
});
