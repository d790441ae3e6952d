import { InvalidArgumentError } from "commander";
import { parseDuration } from "../config/duration.js";

/** `--at <time>`: an ISO 8601 time with a date and a time of day, as epoch ms. */
export function parseIsoTime(value: string): number {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms))
    throw new InvalidArgumentError("expected an ISO 8601 time such as 2026-11-25T08:00:00Z");
  return ms;
}

/** `-n, --lines <count>`: a count of entries, 0 or more. */
export function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError("expected a count of entries, 0 or more");
  return n;
}

/** A time given to `--since` / `--until`: an absolute instant, or an age back from when the command runs. */
export type TimeArg =
  | { readonly kind: "at"; readonly ms: number }
  | { readonly kind: "ago"; readonly ms: number };

/** `--since <time>`: an ISO 8601 time with a date (`2026-11-24T09:00:00Z`), or an age (`30m`, `24h`, `7d`). */
export function parseTimeArg(value: string): TimeArg {
  const ago = parseDuration(value);
  if (ago !== undefined) return { kind: "ago", ms: ago };
  const ms = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(ms)) return { kind: "at", ms };
  throw new InvalidArgumentError("expected an ISO 8601 time (2026-11-24T09:00:00Z) or an age (30m, 24h, 7d)");
}

/** `--format <format>` of an export: `csv` or `json` (JSON lines). */
export function parseExportFormat(value: string): "csv" | "json" {
  if (value === "csv" || value === "json") return value;
  throw new InvalidArgumentError("expected csv or json");
}
