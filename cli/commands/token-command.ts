import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { evaluateVectors, tokenVectorFileSchema } from "../../daemon/verify/token-vectors.js";

/**
 * `passgate token vectors <file.json>`: checks the verifier against a vector file of the
 * pass-token-vectors.json format, made anywhere (the mobile app team's own vectors).
 * Prints one line per case and exits 1 if any result differs, 2 if the file is unreadable.
 */
export function registerTokenCommand(program: Command): void {
  const token = program.command("token").description("PG1 pass tokens");
  token
    .command("vectors")
    .argument(
      "<file.json>",
      "a vector file: credentials and cases, as ../shared/spec/pass-token-vectors.json",
    )
    .description("check every case of a token vector file against passgate's verifier")
    .action((file: string) => {
      let parsed: ReturnType<typeof tokenVectorFileSchema.safeParse>;
      try {
        parsed = tokenVectorFileSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
      } catch (err) {
        process.stderr.write(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}\n`);
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
      for (const o of outcomes) {
        const verdict = o.pass ? "ok  " : "FAIL";
        const detail = o.pass ? o.actual : `expected ${o.expected}, got ${o.actual}`;
        process.stdout.write(`${verdict} ${o.name}: ${detail}\n`);
      }
      const failed = outcomes.filter((o) => !o.pass).length;
      process.stdout.write(`${outcomes.length - failed} passed, ${failed} failed\n`);
      if (failed > 0) process.exitCode = 1;
    });
}
