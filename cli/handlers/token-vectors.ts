import { readFileSync } from "node:fs";
import { evaluateVectors, tokenVectorFileSchema } from "../../daemon/verify/token-vectors.js";

/**
 * `passgate token vectors <file.json>`: checks the verifier against a vector file. Prints
 * one line per case (or one JSON document); exit code 1 when a case differs, 2 when the
 * file cannot be read or is not a vector file.
 */
export function tokenVectors(file: string, options: { readonly json?: boolean }): void {
  let parsed: ReturnType<typeof tokenVectorFileSchema.safeParse>;
  try {
    parsed = tokenVectorFileSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    process.stderr.write(`passgate: cannot read ${file}: ${reason} — give a JSON vector file\n`);
    process.exitCode = 2;
    return;
  }
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      process.stderr.write(`${file}: ${issue.path.join(".") || "(top)"}: ${issue.message}\n`);
    }
    process.exitCode = 2;
    return;
  }
  const outcomes = evaluateVectors(parsed.data);
  const failed = outcomes.filter((o) => !o.pass).length;
  if (failed > 0) process.exitCode = 1;
  if (options.json) {
    const cases = outcomes.map((o) => ({
      name: o.name,
      pass: o.pass,
      expected: o.expected,
      actual: o.actual,
    }));
    process.stdout.write(`${JSON.stringify({ passed: outcomes.length - failed, failed, cases })}\n`);
    return;
  }
  for (const o of outcomes) {
    const verdict = o.pass ? "ok  " : "FAIL";
    const detail = o.pass ? o.actual : `expected ${o.expected}, got ${o.actual}`;
    process.stdout.write(`${verdict} ${o.name}: ${detail}\n`);
  }
  process.stdout.write(`${outcomes.length - failed} passed, ${failed} failed\n`);
}
