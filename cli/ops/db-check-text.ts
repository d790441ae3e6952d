import type { Palette } from "../output.js";
import type { DbCheckReport } from "./db-inspect.js";

/** `db check` for a person: one labelled line per finding; a broken part says what to do. */
export function formatDbCheck(r: DbCheckReport, p: Palette): string {
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

/** `812 B`, `12.3 MB`: a size in bytes, in binary units. */
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
