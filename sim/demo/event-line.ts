import type { CampusEvent } from "../campus/campus-events.js";
import { fitText, printable } from "./text-cells.js";

/** Formats epoch ms as a time of day with milliseconds, "HH:MM:SS.mmm". */
export type TimeOfDay = (at: number) => string;

/** A `TimeOfDay` in `timeZone` (an IANA name; default: this machine's zone). */
export function timeOfDay(timeZone?: string): TimeOfDay {
  const format = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    fractionalSecondDigits: 3,
    hourCycle: "h23",
  });
  return (at) => format.format(at);
}

/** Longest free text (an error message) kept in a plain line. */
const DETAIL_MAX = 120;

/**
 * One plain line for an event, no escapes, for logs and pipes (`passgate demo | cat`):
 * time, where, what, then the details. Decisions a correct gate would not have made are
 * marked FALSE ACCEPT or "false reject".
 */
export function formatEventLine(event: CampusEvent, time: TimeOfDay): string {
  const [where, what, rest] = eventColumns(event);
  return printable(`${time(event.at)} ${fitText(where, 12)} ${fitText(what, 11)} ${rest}`).trimEnd();
}

function eventColumns(event: CampusEvent): [string, string, string] {
  switch (event.kind) {
    case "scan":
      return [
        `${event.gate}/${event.reader}`,
        "scan",
        `${event.person} ${event.scenario} (expect ${event.expect})`,
      ];
    case "decision": {
      const mark =
        event.result === "grant" && event.expect === "deny"
          ? "  FALSE ACCEPT"
          : event.result === "deny" && event.expect === "grant"
            ? "  false reject"
            : "";
      return [
        `${event.gate}/${event.reader}`,
        event.result === "grant" ? "granted" : "denied",
        `${event.person} ${event.scenario}: ${event.reason} ${formatMicros(event.micros)}${mark}`,
      ];
    }
    case "relay":
      return [event.gate, "relay", `${event.relay} ${event.on ? "on" : "off"}`];
    case "passage":
      return [`${event.gate}/${event.reader}`, "passage", event.passed ? "passed" : "turned back"];
    case "sync":
      return [
        event.gate,
        "sync",
        event.ok
          ? `allowlist v${event.version}`
          : `failed: ${clip(event.error ?? "unknown error")} (still on v${event.version})`,
      ];
    case "registry":
      return ["registry", event.change, `${event.person} → allowlist v${event.version}`];
    case "operator":
      return [event.gate, event.actor, `${event.request}: ${clip(event.outcome)}`];
    case "fault":
      return [
        "fault",
        event.phase,
        `${event.fault}${event.detail === undefined ? "" : `: ${clip(event.detail)}`}`,
      ];
  }
}

/** "412 µs", "1 204 µs": whole microseconds with thin grouping. */
export function formatMicros(micros: number): string {
  return `${Math.round(micros)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, " ")} µs`;
}

function clip(text: string): string {
  const chars = [...text];
  return chars.length <= DETAIL_MAX ? text : `${chars.slice(0, DETAIL_MAX - 1).join("")}…`;
}
