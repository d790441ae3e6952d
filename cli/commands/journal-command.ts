import type { Command } from "commander";
import type { CliContext } from "../cli-context.js";
import type { OpenJournalDb } from "../handlers/journal-database.js";
import { parseCount } from "../option-parsers.js";
import { helpAfter, UTC_HELP } from "../output.js";

/**
 * `passgate journal verify` and `passgate journal tail` (cli/handlers/journal-verify.ts,
 * journal-tail.ts). `openDb` is called once per command; the command closes what it
 * returns. Exit codes: 0 fine, 1 chain broken, 2 could not open or read the journal.
 */
export function registerJournalCommand(program: Command, openDb: OpenJournalDb): void {
  const journal = program.command("journal").description("the gate's hash-chained record of decisions");
  helpAfter(journal, {
    examples: ["passgate journal tail -n 50", "passgate journal tail --follow", "passgate journal verify"],
  });

  const verify = journal
    .command("verify")
    .description("check every entry's hash, the sequence and the links; exit 1 if the chain is broken")
    .option("--json", "print {ok, entries, head: {seq, hash} | null, firstBadSeq?, problem?, message?}")
    .action(async (options: { json?: boolean }) => {
      const { journalVerify } = await import("../handlers/journal-verify.js");
      await journalVerify(openDb, options);
    });
  helpAfter(verify, {
    notes:
      "A broken chain means entries were changed or removed outside passgate: keep the database file for inspection (see docs/journal.md).",
    exitCodes:
      "0 the chain is whole; 1 it is broken (the first bad entry is named); 2 the database cannot be read.",
    examples: ["passgate journal verify", "passgate journal verify --json | jq .ok"],
  });

  const tail = journal
    .command("tail")
    .description("print the newest entries, oldest first (never token text: the journal holds none)")
    .option("-n, --lines <count>", "how many entries", parseCount, 20)
    .option("--json", "one JSON object per line")
    .option("-f, --follow", "keep printing new entries until Ctrl-C")
    .option("--tz <zone>", "print times in this IANA time zone (default: the gate's, from the config)")
    .option("--utc", UTC_HELP)
    .action(
      async (options: { lines: number; json?: boolean; follow?: boolean; tz?: string; utc?: boolean }) => {
        const { journalTail } = await import("../handlers/journal-tail.js");
        await journalTail(openDb, options);
      },
    );
  helpAfter(tail, {
    exitCodes:
      "0 printed (also when stopped with Ctrl-C while following); 2 the database cannot be read or --tz is unknown.",
    examples: [
      "passgate journal tail",
      "passgate journal tail -n 100 --tz Europe/Moscow",
      "passgate journal tail --follow",
      "passgate journal tail --json -n 1000 | jq -c 'select(.kind == \"decision\")'",
    ],
  });
}

/** The database of the gate the config names, opened read-only the one way (app/gate-database.ts). */
export function configuredJournalDb(ctx: CliContext): OpenJournalDb {
  return async () => {
    const { openJournalDb } = await import("../handlers/journal-database.js");
    return openJournalDb(await ctx.config());
  };
}
