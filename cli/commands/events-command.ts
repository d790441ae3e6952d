import { type Command, InvalidArgumentError } from "commander";
import { type Clock, systemClock } from "../../platform/clock.js";
import type { CliContext } from "../cli-context.js";
import { parseCount, parseExportFormat, parseTimeArg, type TimeArg } from "../option-parsers.js";
import { helpAfter, UTC_HELP } from "../output.js";

/**
 * `passgate events tail` and `passgate events export`: the journal (daemon/journal) in the
 * operator's words (cli/handlers/events-tail.ts, events-export.ts). Read-only: the database
 * is opened so that nothing is written to it.
 */
export function registerEventsCommand(program: Command, ctx: CliContext, clock: Clock = systemClock): void {
  const events = program
    .command("events")
    .description("what happened at the gate: decisions and events (the journal)");
  helpAfter(events, {
    examples: ["passgate events tail -f", "passgate events export --since 24h --format csv"],
  });

  const tail = events
    .command("tail")
    .description("print the newest events, oldest first (never token text: the journal holds none)")
    .option("-n, --lines <count>", "how many events", parseCount, 20)
    .option("-f, --follow", "keep printing new events until Ctrl-C")
    .option("--json", "one JSON object per line")
    .option("--utc", UTC_HELP)
    .action(async (options: { lines: number; follow?: boolean; json?: boolean; utc?: boolean }) => {
      const { eventsTail } = await import("../handlers/events-tail.js");
      await eventsTail(await ctx.config(), options);
    });
  helpAfter(tail, {
    exitCodes: "0 shown; 1 config or database cannot be read; 2 bad flag",
    examples: [
      "passgate events tail",
      "passgate events tail -n 100 --json | jq 'select(.result==\"denied\")'",
      "passgate events tail -f",
    ],
  });

  const exporter = events
    .command("export")
    .description("write the events between two times as CSV (RFC 4180, with a header) or JSON lines")
    .requiredOption("--since <time>", "ISO 8601 time, or an age such as 30m, 24h, 7d", parseTimeArg)
    .option("--until <time>", "ISO 8601 time, or an age such as 1h (default: now)", parseTimeArg)
    .option("--format <format>", "csv or json (JSON lines)", parseExportFormat, "csv")
    .option("--output <file>", "write to this file (replaced atomically) instead of standard output")
    .option(
      "--delimiter <char>",
      "CSV field separator: , or ; (for spreadsheets set to Russian)",
      parseDelimiter,
    )
    .option("--bom", "start the CSV with a UTF-8 byte order mark (for spreadsheet programs)")
    .option("--names", "add each credential's display name from the allowlist (CSV column name)")
    .option("--utc", "CSV times in UTC (ISO 8601, ...Z) instead of the gate's time zone")
    .action(async (options: ExportFlags) => {
      const { eventsExport } = await import("../handlers/events-export.js");
      await eventsExport(await ctx.config(), options, clock.now());
    });
  helpAfter(exporter, {
    notes:
      "Columns (CSV): seq,id,at,kind,gate,reader,direction,credential,person,[name,]step,result,reason,data,prevHash,hash.\n" +
      "Times are the gate's local time with its offset (--utc for UTC). A cell that a spreadsheet would run as a\n" +
      "formula (starting with = + - @, tab or CR) starts with ' instead; control characters are written \\xNN.\n" +
      "The export is streamed: it reads the journal in batches, whatever its length.",
    exitCodes: "0 written; 1 config, database or output file cannot be used; 2 bad flag or time",
    examples: [
      "passgate events export --since 24h --format csv --output /tmp/gate-events.csv",
      "passgate events export --since 7d --delimiter ';' --bom --names --output week.csv   # for a spreadsheet set to Russian",
      "passgate events export --since 2026-11-01T00:00:00Z --until 2026-12-01T00:00:00Z --format json > nov.jsonl",
    ],
  });
}

interface ExportFlags {
  since: TimeArg;
  until?: TimeArg;
  format: "csv" | "json";
  output?: string;
  delimiter?: string;
  bom?: boolean;
  names?: boolean;
  utc?: boolean;
}

/** `,` or `;`: the separators spreadsheet programs read; anything else would need explaining to one. */
function parseDelimiter(value: string): string {
  if (value === "," || value === ";") return value;
  throw new InvalidArgumentError(`expected , or ; (got ${JSON.stringify(value)})`);
}
