import type { Command } from "commander";
import type { CliContext } from "../cli-context.js";
import { helpAfter } from "../output.js";

/**
 * `passgate db backup <file> [--force]`, `passgate db check [--json]` and `passgate db
 * upgrade` (cli/handlers/db-*.ts): the gate's SQLite database, beside a running daemon.
 * Backup and check open it read-only; upgrade is the one that writes (schema steps only).
 */
export function registerDbCommand(program: Command, ctx: CliContext): void {
  const db = program.command("db").description("the gate's database: online backup, checks, schema upgrade");
  helpAfter(db, {
    examples: ["passgate db check", "passgate db backup /var/backups/passgate.db", "passgate db upgrade"],
  });

  const backup = db
    .command("backup")
    .description("copy the database while the gate runs, consistent, checked, written atomically")
    .argument("<file>", "where to write the copy")
    .option("--force", "replace <file> if it exists")
    .option("--json", "print the copy's check report as JSON")
    .action(async (file: string, options: { force?: boolean; json?: boolean }) => {
      const { dbBackup } = await import("../handlers/db-backup.js");
      await dbBackup(await ctx.config(), file, options);
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
    .action(async (options: { json?: boolean }) => {
      const { dbCheck } = await import("../handlers/db-check.js");
      dbCheck(await ctx.config(), options);
    });
  helpAfter(check, {
    exitCodes: "0 all fine; 1 integrity problems or a broken journal chain, or the database cannot be read",
    examples: ["passgate db check", "passgate db check --json | jq .sizes.walBytes"],
  });

  const upgrade = db
    .command("upgrade")
    .description("bring the database's tables to this passgate's schema, as the gate's start does")
    .option("--json", "print {path, components: [{component, from, to}]}")
    .action(async (options: { json?: boolean }) => {
      const { dbUpgrade } = await import("../handlers/db-upgrade.js");
      dbUpgrade(await ctx.config(), options);
    });
  helpAfter(upgrade, {
    notes:
      "The commands that only read (status, sync status, db check…) refuse a database an older passgate made and name this command;\nthe gate's start upgrades it too. Back it up first (db backup with the older passgate): an older passgate refuses the newer tables.",
    exitCodes:
      "0 upgraded (or already current); 1 no database at storage.path, or one a newer passgate wrote, or it cannot be written",
    examples: [
      "passgate db upgrade",
      "sudo -u passgate passgate --config /etc/passgate/passgate.yaml db upgrade",
      "passgate db upgrade --json | jq '.components[] | select(.from != .to)'",
    ],
  });
}
