import { describe, expect, it } from "vitest";
import { readBridgeAnswer } from "./bridge-answer-shape.js";
import { bridgeAnswerSchema } from "./topics.js";

const valid = {
  reader: "in",
  seq: 1_796_000_000_000_001,
  result: "granted",
  reason: "ok",
  text: { en: "Welcome", ru: "Добро пожаловать" },
};

const replacements: Record<string, unknown[]> = {
  reader: ["", "a", "r".repeat(64), "r".repeat(65), 1, null],
  seq: [0, -1, 1.5, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, "1", null],
  result: ["granted", "denied", "open", "", null, 1],
  reason: ["", "x".repeat(64), "x".repeat(65), 5, null],
  text: [
    { en: "", ru: "" },
    { en: "e".repeat(120), ru: "р".repeat(120) },
    { en: "e".repeat(121), ru: "" },
    { en: "", ru: "р".repeat(121) },
    { en: "only" },
    { en: "a", ru: "b", de: "c" },
    { en: 1, ru: "b" },
    ["a", "b"],
    null,
    "text",
  ],
};

function variants(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [valid, {}];
  for (const [field, values] of Object.entries(replacements))
    for (const value of values) out.push({ ...valid, [field]: value });
  for (const field of Object.keys(valid)) {
    const { [field as keyof typeof valid]: _, ...missing } = valid;
    out.push(missing);
  }
  out.push({ ...valid, extra: true });
  // As the bridge gets it: through JSON.parse, which makes "__proto__" an own field.
  out.push(JSON.parse(`{"__proto__":{"x":1},${JSON.stringify(valid).slice(1)}`) as Record<string, unknown>);
  return out;
}

describe("a gate's answer to a bridged scan, checked by hand", () => {
  it("accepts and refuses exactly what its schema does, and returns the same answer", () => {
    let accepted = 0;
    for (const body of variants()) {
      const bySchema = bridgeAnswerSchema.safeParse(body);
      expect({ body, answer: readBridgeAnswer(body) }).toEqual({
        body,
        answer: bySchema.success ? bySchema.data : undefined,
      });
      if (bySchema.success) accepted++;
    }
    expect(accepted).toBeGreaterThan(10);
    expect(accepted).toBeLessThan(variants().length - 15);
  });
});
