/**
 * The epoch ms at which the day of `at` began in `timeZone` (IANA). Intl gives the wall
 * clock of a zone but no "midnight of this date"; the offset is read at the guess and again
 * at the result, which lands on midnight also on days a DST change moves the offset.
 */
export function startOfDay(at: number, timeZone: string): number {
  const parts = wallClock(at, timeZone);
  const midnightUtc = Date.UTC(parts.year, parts.month - 1, parts.day);
  let start = midnightUtc - offsetAt(midnightUtc, timeZone);
  start = midnightUtc - offsetAt(start, timeZone);
  return start;
}

function wallClock(at: number, timeZone: string) {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });
  const get = (type: string) => Number(format.formatToParts(at).find((p) => p.type === type)?.value ?? 0);
  return {
    year: get("year"),
    month: get("month"),
    day: get("day"),
    hour: get("hour"),
    minute: get("minute"),
    second: get("second"),
  };
}

/** The zone's offset from UTC at `at`, ms (Moscow: +3 h). */
function offsetAt(at: number, timeZone: string): number {
  const w = wallClock(at, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - (at - (at % 1000));
}
