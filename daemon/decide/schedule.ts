import type { Weekday } from "../../config/schema.js";

/** One opening window: on these days, from `from` (inclusive) to `to` (exclusive), local time "HH:MM". */
export interface ScheduleWindow {
  readonly days: readonly Weekday[];
  readonly from: string;
  readonly to: string;
}

/** Local calendar facts of an instant in a time zone. */
export interface LocalTime {
  /** YYYY-MM-DD */
  readonly date: string;
  readonly weekday: Weekday;
  /** HH:MM, 24-hour clock. */
  readonly time: string;
}

const WEEKDAY_BY_NAME: Record<string, Weekday> = {
  Mon: "mon",
  Tue: "tue",
  Wed: "wed",
  Thu: "thu",
  Fri: "fri",
  Sat: "sat",
  Sun: "sun",
};

const formatters = new Map<string, Intl.DateTimeFormat>();
/** The last answer per time zone: local time only changes on whole minutes, also at DST changes. */
const lastMinute = new Map<string, { minute: number; local: LocalTime }>();

/**
 * The local date, weekday and time of `epochMs` in an IANA time zone. Uses the ICU data
 * in Node, so daylight-saving changes follow the zone's rules. Formatters are reused:
 * building one costs far more than formatting.
 */
export function localTime(epochMs: number, timeZone: string): LocalTime {
  const minute = Math.floor(epochMs / 60_000);
  const cached = lastMinute.get(timeZone);
  if (cached !== undefined && cached.minute === minute) return cached.local;
  const local = formatLocalTime(epochMs, timeZone);
  lastMinute.set(timeZone, { minute, local });
  return local;
}

function formatLocalTime(epochMs: number, timeZone: string): LocalTime {
  let fmt = formatters.get(timeZone);
  if (fmt === undefined) {
    fmt = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(timeZone, fmt);
  }
  const parts: Record<string, string> = {};
  for (const p of fmt.formatToParts(epochMs)) parts[p.type] = p.value;
  const weekday = WEEKDAY_BY_NAME[parts.weekday ?? ""];
  if (weekday === undefined) throw new Error(`cannot read the weekday of ${epochMs} in ${timeZone}`);
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday,
    time: `${parts.hour}:${parts.minute}`,
  };
}

/** Whether a weekly schedule is open at a local time; closed all day on a holiday. */
export function scheduleOpen(
  windows: readonly ScheduleWindow[],
  local: LocalTime,
  holidays: readonly string[],
): boolean {
  if (holidays.includes(local.date)) return false;
  return windows.some((w) => w.days.includes(local.weekday) && w.from <= local.time && local.time < w.to);
}
