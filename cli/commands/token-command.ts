import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { evaluateVectors, tokenVectorFileSchema } from "../../daemon/verify/token-vectors.js";
import { helpAfter } from "../output.js";

/**
 * `passgate token vectors <file.json>`: checks the verifier against a vector file of the
 * pass-token-vectors.json format, made anywhere (the mobile app team's own vectors).
 * Prints one line per case and exits 1 if any result differs, 2 if the file is unreadable.
 */
export function registerTokenCommand(program: Command): void {
  const token = program.command("token").description("PG1 pass tokens");
  helpAfter(token, { examples: ["passgate token vectors ../shared/spec/pass-token-vectors.json"] });
  const vectors = token
    .command("vectors")
    .argument(
      "<file.json>",
      "a vector file: credentials and cases, as ../shared/spec/pass-token-vectors.json",
    )
    .description("check every case of a token vector file against passgate's verifier")
    .option("--json", "print {passed, failed, cases: [{name, pass, expected, actual}]}")
    .action((file: string, options: { json?: boolean }) => {
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
    });
  helpAfter(vectors, {
    notes: "Test vectors carry secrets made for testing only; never put a real credential's secret in one.",
    exitCodes:
      "0 every case gives its expected result; 1 a case differs; 2 the file cannot be read or is not a vector file.",
    examples: [
      "passgate token vectors ../shared/spec/pass-token-vectors.json",
      "passgate token vectors app-vectors.json --json | jq '.cases[] | select(.pass | not)'",
    ],
  });
}
