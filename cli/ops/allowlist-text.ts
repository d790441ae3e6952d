import type { AllowlistStats } from "../../daemon/allowlist/allowlist-store.js";
import type { ApplyResult } from "../../daemon/allowlist/apply-body.js";
import { escapeLine } from "./escape-control.js";
import { type FormatTime, utcTime } from "./gate-time.js";

/** `imported snapshot v7 for site demo-campus: 4 credentials (4 put, 0 del)` */
export function describeImport(result: Extract<ApplyResult, { ok: true }>, site: string): string {
  const versions = result.kind === "delta" ? `v${result.from}→v${result.to}` : `v${result.to}`;
  return `imported ${result.kind} ${versions} for site ${site}: ${plural(result.count, "credential")} (${result.puts} put, ${result.dels} del)`;
}

/** `allowlist stats`: site, version, size, issue and sync times (in `formatTime`) with their ages. */
export function formatStats(stats: AllowlistStats, now: number, formatTime: FormatTime = utcTime): string {
  if (stats.version === null) {
    return `no allowlist yet (${plural(stats.count, "credential")}): every scan is denied until the daemon syncs or \`passgate allowlist import <file>\` is run`;
  }
  const time = (ms: number | null, suffix: (age: string) => string) =>
    ms === null ? "—" : `${formatTime(ms)} (${suffix(formatAge(now - ms))})`;
  const rows: [string, string][] = [
    ["site", stats.site === null ? "—" : escapeLine(stats.site)],
    ["version", `v${stats.version}`],
    ["count", plural(stats.count, "credential")],
    ["issued", time(stats.issuedAt, (age) => `age ${age}`)],
    ["synced", time(stats.syncedAt, (age) => `${age} ago`)],
  ];
  return rows.map(([k, v]) => `${k.padEnd(8)} ${v}`).join("\n");
}

/** What `allowlist stats --json` prints: times in ISO 8601, the age since issue in seconds. */
export function statsJson(stats: AllowlistStats, now: number): object {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    site: stats.site,
    version: stats.version,
    count: stats.count,
    issuedAt: iso(stats.issuedAt),
    syncedAt: iso(stats.syncedAt),
    ageSeconds: stats.issuedAt === null ? null : Math.floor((now - stats.issuedAt) / 1000),
  };
}

/** `45s`, `13m`, `2h 13m`, `3d 4h` for an age in ms; a negative age (a clock behind the registry's) reads `-5m`. */
export function formatAge(ms: number): string {
  if (ms < 0) return `-${formatAge(-ms)}`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** `v7, 4 credentials`, or `no allowlist yet`: what a refused import or a missing id leaves in force. */
export function inForce(stats: AllowlistStats): string {
  return stats.version === null
    ? "no allowlist yet"
    : `v${stats.version}, ${plural(stats.count, "credential")}`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
