import { existsSync } from "node:fs";
import type { Command } from "commander";
import type { Config } from "../../config/schema.js";
import { openDatabase } from "../../platform/database/database.js";
import { backupDatabase } from "../ops/db-backup.js";
import { type DbCheckReport, inspectDb } from "../ops/db-inspect.js";
import { NoDatabaseError } from "../ops/ops-db.js";
import { helpAfter, palette, printJson } from "../output.js";

/**
 * `passgate db backup <file> [--force]` and `passgate db check [--json]`: the gate's
 * SQLite database, beside a running daemon. Both open it read-only.
 */
export function registerDbCommand(program: Command, loadConfig: () => Config): void {
  const db = program.command("db").description("the gate's database: online backup and checks");
  helpAfter(db, { examples: ["passgate db check", "passgate db backup /var/backups/passgate.db"] });
  const openLive = () => {
    const path = loadConfig().storage.path;
    if (!existsSync(path)) throw new NoDatabaseError(path);
    return { path, db: openDatabase(path, { readonly: true }) };
  };

  const backup = db
    .command("backup")
    .description("copy the database while the gate runs, consistent, checked, written atomically")
    .argument("<file>", "where to write the copy")
    .option("--force", "replace <file> if it exists")
    .option("--json", "print the copy's check report as JSON")
    .action(async (file: string, options: { force?: boolean; json?: boolean }) => {
      const { db: source } = openLive();
      try {
        const report = await backupDatabase(source, file, options.force === true);
        if (options.json === true) printJson(report);
        else
          process.stdout.write(
            `backup written to ${file}: ${formatBytes(report.sizes.fileBytes)}, integrity ok, journal ok (${report.journal.entries} entries)\n`,
          );
      } finally {
        source.close();
      }
    });
  helpAfter(backup, {
    notes:
      "The copy is a single file (no -wal beside it); restore it by stopping the gate and putting it at storage.path.",
    exitCodes:
      "0 written and verified; 1 the file exists (without --force), the copy failed its check, or the database cannot be read",
    examples: [
      "passgate db backup /var/backups/passgate-$(date +%F).db",
      "passgate db backup /mnt/usb/gate.db --force",
    ],
  });

  const check = db
    .command("check")
    .description("integrity_check, journal hash chain, schema versions, sizes and WAL size")
    .option("--json", "one JSON document")
    .action((options: { json?: boolean }) => {
      const { path, db: live } = openLive();
      let report: DbCheckReport;
      try {
        report = inspectDb(live, path);
      } finally {
        live.close();
      }
      if (options.json === true) printJson(report);
      else process.stdout.write(formatCheck(report, palette(process.stdout)));
      if (!report.integrity.ok || !report.journal.ok) process.exitCode = 1;
    });
  helpAfter(check, {
    exitCodes: "0 all fine; 1 integrity problems or a broken journal chain, or the database cannot be read",
    examples: ["passgate db check", "passgate db check --json | jq .sizes.walBytes"],
  });
}

function formatCheck(r: DbCheckReport, p: ReturnType<typeof palette>): string {
  const j = r.journal;
  const rows: [string, string][] = [
    ["database", r.path],
    ["integrity", r.integrity.ok ? p.ok("ok") : p.fail(`FAILED: ${r.integrity.problems.join("; ")}`)],
    [
      "journal",
      j.ok
        ? `${p.ok("ok")}, ${j.entries} entries${j.headSeq === null ? "" : `, head #${j.headSeq}`}`
        : p.fail(`BROKEN at #${j.firstBadSeq}: ${j.message} — keep this file for investigation`),
    ],
    [
      "schemas",
      Object.entries(r.schemaVersions)
        .map(([c, v]) => `${c} v${v}`)
        .join(", ") || "none",
    ],
    ["mode", r.journalMode],
    [
      "size",
      `${formatBytes(r.sizes.fileBytes)} (${r.sizes.pages} pages of ${r.sizes.pageSize} B, ${r.sizes.freePages} free)`,
    ],
    ["wal", formatBytes(r.sizes.walBytes)],
  ];
  return `${rows.map(([k, v]) => `${k.padEnd(10)}${v}`).join("\n")}\n`;
}

/** `12.3 MB` */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
