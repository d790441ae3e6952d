import { type OpenJournalDb, withJournal } from "./journal-database.js";

/**
 * `passgate journal verify [--json]`: checks every entry's hash, the sequence and the links.
 * Sets exit code 1 when the chain is broken, 2 when the journal cannot be read.
 */
export async function journalVerify(
  open: OpenJournalDb,
  options: { readonly json?: boolean },
): Promise<void> {
  await withJournal(open, (journal) => {
    const report = journal.verify();
    if (options.json === true) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } else if (report.ok) {
      const head = report.head === null ? "" : `, head #${report.head.seq} ${report.head.hash.slice(0, 8)}…`;
      process.stdout.write(`journal OK: ${report.entries} entries${head}\n`);
    } else {
      process.stdout.write(
        `journal BROKEN at #${report.firstBadSeq}: ${report.message} (${report.entries} entries)\n`,
      );
    }
    if (!report.ok) process.exitCode = 1;
  });
}
