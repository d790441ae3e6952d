import canonicalize from "canonicalize";
import { describe, expect, it } from "vitest";
import { canonicalJson, NotCanonicalJsonError } from "./canonical-json.js";

const RFC_8785 = { path: "v", maxDepth: 8, wellFormed: true } as const;

describe("canonicalJson", () => {
  it("writes plain JSON values exactly as RFC 8785's general writer (the canonicalize package) does", () => {
    // A seeded generator of JSON values: strings with quotes, escapes, control characters,
    // Cyrillic and (rarely) surrogate pairs; integers, fractions, large and tiny numbers.
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const chars = [
      "a",
      "Z",
      "0",
      " ",
      '"',
      "\\",
      "/",
      "\n",
      "\t",
      "\u0001",
      "\u001f",
      "\u007f",
      "ж",
      "Ё",
      "é",
      "€",
      "😀",
    ];
    const numbers = [
      0,
      -0,
      1,
      -1,
      0.1,
      1e21,
      1e-7,
      5e-324,
      1.7976931348623157e308,
      2 ** 53,
      123_456_789.25,
      -42.5,
    ];
    const text = () =>
      Array.from({ length: Math.floor(next() * 12) }, () => chars[Math.floor(next() * chars.length)]).join(
        "",
      );
    const value = (depth: number): unknown => {
      const pick = next();
      if (depth > 3 || pick < 0.3) return text();
      if (pick < 0.45) return numbers[Math.floor(next() * numbers.length)];
      if (pick < 0.5) return next() < 0.5;
      if (pick < 0.55) return null;
      if (pick < 0.75) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(next() * 5) }, () => [text(), value(depth + 1)]),
      );
    };
    for (let i = 0; i < 3_000; i++) {
      const body = { v: value(0) };
      expect(canonicalJson(body, RFC_8785)).toBe(canonicalize(body));
    }
    // An object's undefined field is no field, in both.
    expect(canonicalJson({ b: 1, a: undefined }, RFC_8785)).toBe(canonicalize({ b: 1, a: undefined }));
  });

  it("refuses what has no plain JSON form, naming where, and a lone surrogate only when asked", () => {
    const refused = (value: unknown, wellFormed = true) => {
      try {
        canonicalJson(value, { ...RFC_8785, wellFormed });
        return undefined;
      } catch (err) {
        expect(err).toBeInstanceOf(NotCanonicalJsonError);
        return (err as Error).message;
      }
    };
    expect(refused({ a: "\ud800" })).toBe("v.a: a lone surrogate has no RFC 8785 form");
    expect(refused({ "\udc00": 1 })).toBe("v: a key with a lone surrogate has no RFC 8785 form");
    expect(refused({ a: "\ud800" }, false)).toBeUndefined();
    expect(refused({ a: [1, undefined] })).toBe("v.a[1]: undefined is not JSON");
    expect(refused({ a: Number.NaN })).toBe("v.a: NaN is not a JSON number");
    expect(refused({ a: new Date(0) })).toBe("v.a: a Date is not plain JSON");
    expect(refused({ a: 1n })).toBe("v.a: bigint is not JSON");
    let deep: unknown = 1;
    for (let i = 0; i < 9; i++) deep = [deep];
    expect(refused(deep)).toBe("v[0][0][0][0][0][0][0][0][0]: nested deeper than 8 levels");
  });
});
