import type { Command } from "commander";
import { helpAfter } from "../output.js";

/**
 * `passgate token vectors <file.json>`: checks the verifier against a vector file of the
 * pass-token-vectors.json format, made anywhere (the mobile app team's own vectors).
 * Prints one line per case and exits 1 if any result differs, 2 if the file is unreadable
 * (cli/handlers/token-vectors.ts).
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
    .action(async (file: string, options: { json?: boolean }) => {
      const { tokenVectors } = await import("../handlers/token-vectors.js");
      tokenVectors(file, options);
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
