import { timeFormatter } from "../../daemon/journal/journal-format.js";

/** Formats an epoch-ms time for a person to read. */
export type FormatTime = (epochMs: number) => string;

/** ISO 8601 in UTC: what `--utc` prints, and what every `--json` prints whatever the flag. */
export const utcTime: FormatTime = (epochMs) => new Date(epochMs).toISOString();

/**
 * How a command prints times for a person: the gate's local time with its offset
 * (`2026-11-24T12:00:01.123+03:00`), in `zone` (the config's `timezone`), else the zone
 * of this machine; with `utc`, ISO 8601 in UTC (`…Z`). Facilities staff read the gate's
 * clock, and the offset keeps every line unambiguous. Throws a RangeError for an unknown zone.
 */
export function gateTimeFormatter(zone: string | undefined, utc: boolean | undefined): FormatTime {
  if (utc === true) return utcTime;
  return timeFormatter(zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);
}
