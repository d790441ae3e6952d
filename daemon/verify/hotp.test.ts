import { describe, expect, it } from "vitest";
import { hotpMatches } from "./hotp.js";

const ascii = (s: string) => new Uint8Array(Buffer.from(s, "ascii"));

describe("hotpMatches", () => {
  // RFC 4226 Appendix D: secret "12345678901234567890", 6 digits, SHA-1.
  const rfc4226 = [755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489];
  it.each(rfc4226.map((value, counter) => [counter, value]))(
    "RFC 4226 counter %i is %i",
    (counter, value) => {
      const secret = ascii("12345678901234567890");
      expect(hotpMatches(secret, counter, value, 6, "sha1")).toBe(true);
      expect(hotpMatches(secret, counter, (value + 1) % 1_000_000, 6, "sha1")).toBe(false);
    },
  );

  // RFC 6238 Appendix B, 8 digits: T = 59 s and 1111111109 s with a 30 s period.
  it.each([
    ["sha1", "12345678901234567890", 59, 94287082],
    ["sha256", "12345678901234567890123456789012", 59, 46119246],
    ["sha512", "1234567890123456789012345678901234567890123456789012345678901234", 59, 90693936],
    ["sha1", "12345678901234567890", 1111111109, 7081804],
    ["sha256", "12345678901234567890123456789012", 1111111109, 68084774],
    ["sha512", "1234567890123456789012345678901234567890123456789012345678901234", 1111111109, 25091201],
  ] as const)("RFC 6238 %s at T=%s… gives the vector", (algorithm, secret, t, value) => {
    expect(hotpMatches(ascii(secret), Math.floor(t / 30), value, 8, algorithm)).toBe(true);
    expect(hotpMatches(ascii(secret), Math.floor(t / 30) + 1, value, 8, algorithm)).toBe(false);
  });

  it("refuses secrets out of bounds, negative or unsafe counters, and values that are no code", () => {
    expect(hotpMatches(ascii("123456789012345"), 1, 287082, 6, "sha1")).toBe(false);
    expect(hotpMatches(new Uint8Array(65), 1, 0, 6, "sha1")).toBe(false);
    expect(hotpMatches(ascii("12345678901234567890"), -1, 755224, 6, "sha1")).toBe(false);
    expect(hotpMatches(ascii("12345678901234567890"), 2 ** 53, 755224, 6, "sha1")).toBe(false);
    expect(hotpMatches(ascii("12345678901234567890"), 1, -287082, 6, "sha1")).toBe(false);
    expect(hotpMatches(ascii("12345678901234567890"), 1, 287082.5, 6, "sha1")).toBe(false);
  });
});
