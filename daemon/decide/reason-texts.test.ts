import { describe, expect, it } from "vitest";
import { REASON_TEXTS } from "./reason-texts.js";
import { DENY_REASONS, GRANT_REASONS } from "./reasons.js";

describe("REASON_TEXTS", () => {
  it.each([...GRANT_REASONS, ...DENY_REASONS])("has a short English and Russian text for %s", (reason) => {
    const text = REASON_TEXTS[reason];
    for (const s of [text.en, text.ru]) {
      expect(s.length).toBeGreaterThan(0);
      // A two-line display of 24 characters.
      expect(s.length).toBeLessThanOrEqual(48);
    }
    expect(text.ru).toMatch(/[а-яё]/i);
  });

  it("does not tell a forger which check failed", () => {
    const failures = ["unknown_credential", "scheme_mismatch", "bad_signature"] as const;
    expect(new Set(failures.map((r) => REASON_TEXTS[r].en)).size).toBe(1);
  });
});
