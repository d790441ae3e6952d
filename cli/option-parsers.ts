import { InvalidArgumentError } from "commander";

/** `--at <time>`: an ISO 8601 time with a date and a time of day, as epoch ms. */
export function parseIsoTime(value: string): number {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms))
    throw new InvalidArgumentError("expected an ISO 8601 time such as 2026-11-25T08:00:00Z");
  return ms;
}
