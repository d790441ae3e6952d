import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { evaluateVectors, tokenVectorFileSchema } from "./token-vectors.js";

const vectorsPath = fileURLToPath(new URL("../../../shared/spec/pass-token-vectors.json", import.meta.url));
const file = tokenVectorFileSchema.parse(JSON.parse(readFileSync(vectorsPath, "utf8")));

describe("pass-token-vectors.json", () => {
  it("holds cases for every result", () => {
    expect(new Set(file.cases.map((c) => c.result)).size).toBeGreaterThanOrEqual(6);
  });
  const outcomes = evaluateVectors(file);
  it.each(outcomes.map((o) => [o.name, o] as const))("%s", (_name, outcome) => {
    expect(outcome.actual).toBe(outcome.expected);
  });
});
