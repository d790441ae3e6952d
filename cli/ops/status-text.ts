import type { GateStatus } from "../../app/http/status-schema.js";
import type { Config } from "../../config/schema.js";
import { formatEntryLine } from "../../daemon/journal/journal-format.js";
import type { Palette } from "../output.js";
import { escapeControl, escapeLine } from "./escape-control.js";
import type { FormatTime } from "./gate-time.js";
import type { StatusReport } from "./status-report.js";
import { formatAgeSeconds } from "./sync-status-report.js";

/**
 * `passgate status` for a person at the turnstile: one labelled line per part, words that
 * say what is wrong (colour only adds to them). Parts only the daemon knows (reader and
 * relay state, broker connection) say "unknown" when it did not answer.
 */
export function formatStatusText(
  report: StatusReport,
  config: Config,
  p: Palette,
  formatTime: FormatTime,
): string {
  const live = report.daemon.reachable ? report.daemon.status : undefined;
  const s = report.sync;
  const time = isoIn(formatTime);
  const lines: [string, string][] = [
    ["gate", `${report.site}/${report.gate}`],
    [
      "mode",
      `${modeWord(report.mode.mode, p)} (since ${time(report.mode.since)}, set by ${escapeLine(report.mode.source)})`,
    ],
    ["daemon", daemonLine(report, p)],
    ["broker", brokerLine(config, live, p)],
    ...readerLines(config, live, p),
    ...relayLines(config, live, p),
    ...bridgeLines(live, p, time),
    [
      "allowlist",
      s.version === null
        ? p.warn("none yet (never synced)")
        : `v${s.version}, ${s.credentials} credentials, ${s.ageSeconds === null ? "never synced" : `${formatAgeSeconds(s.ageSeconds)} old`}`,
    ],
    ["sync", syncLine(report, p, time)],
    ["backlog", `${s.backlog} events to upload`],
  ];
  if (live !== undefined)
    lines.push([
      "decisions",
      `${live.decisions.granted} granted, ${live.decisions.denied} denied since start`,
    ]);
  const last = report.lastDecisions.map((e) => `  ${formatEntryLine(e, formatTime)}`);
  const head = lines.map(([k, v]) => `${k.padEnd(10)}${v}`).join("\n");
  return `${head}\nlast ${report.lastDecisions.length} journal entries:${last.length === 0 ? " none" : `\n${last.join("\n")}`}\n`;
}

function modeWord(mode: string, p: Palette): string {
  if (mode === "normal") return p.ok(mode);
  return p.warn(mode === "free" ? "free (everybody passes)" : "lockdown (nobody passes)");
}

function daemonLine(report: StatusReport, p: Palette): string {
  const d = report.daemon;
  if (d.reachable) {
    const s = d.status;
    return `${p.ok("running")} ${escapeLine(s.version)}, up ${formatAgeSeconds(s.uptimeSeconds)} (${d.url})`;
  }
  if (d.url === null) return p.warn("not running (or no http: section)");
  return p.warn(`not running (or no http: section): ${d.url}: ${d.reason}`);
}

function brokerLine(config: Config, live: GateStatus | undefined, p: Palette): string {
  if (config.mqtt === undefined) return "not configured";
  const url = withoutUserInfo(config.mqtt.url);
  if (live === undefined) return `unknown (${url})`;
  return live.broker.connected ? `${p.ok("connected")} (${url})` : `${p.fail("DISCONNECTED")} (${url})`;
}

function readerLines(config: Config, live: GateStatus | undefined, p: Palette): [string, string][] {
  if (config.readers.length === 0) return [["readers", p.warn("none configured (the gate never opens)")]];
  return config.readers.map((r, i) => {
    const state = live?.readers.find((l) => l.id === r.id);
    const text =
      state === undefined
        ? `${r.id} (${r.direction}, ${r.source.type}): unknown`
        : `${r.id} (${r.direction}, ${r.source.type}): ${state.state === "connected" ? p.ok("connected") : p.fail(state.state.toUpperCase())}, ${state.scans} scans, ${state.rejected} rejected`;
    return [i === 0 ? "readers" : "", text];
  });
}

function relayLines(config: Config, live: GateStatus | undefined, p: Palette): [string, string][] {
  if (config.relays.length === 0) return [["relays", "none configured"]];
  return config.relays.map((r, i) => {
    const state = live?.relays.find((l) => l.id === r.id);
    const word =
      state === undefined ? "unknown" : state.available ? p.ok("available") : p.fail("UNAVAILABLE");
    return [i === 0 ? "relays" : "", `${r.id} (${r.driver.type}, reader ${r.reader}): ${word}`];
  });
}

function bridgeLines(
  live: GateStatus | undefined,
  p: Palette,
  time: (iso: string) => string,
): [string, string][] {
  return (live?.bridges ?? []).map((b, i) => {
    const state = b.status === "online" ? p.ok("online") : p.fail(b.status.toUpperCase());
    const paired = b.paired ? "paired" : p.warn("NOT PAIRED: its scans are refused (passgate trust add)");
    const last = b.lastScanAt === null ? "" : `, last scan ${time(b.lastScanAt)}`;
    return [i === 0 ? "bridges" : "", `${escapeControl(b.id)}: ${state}, ${paired}${last}`];
  });
}

function syncLine(report: StatusReport, p: Palette, time: (iso: string) => string): string {
  const s = report.sync;
  if (s.registry === null) return "no registry configured";
  const ok = `last success ${s.lastSuccessAt === null ? "never" : time(s.lastSuccessAt)}`;
  // The registry's error text comes from the network.
  return s.lastError === null
    ? ok
    : `${ok}; ${p.fail(`last error ${escapeLine(s.lastErrorCode ?? "")}: ${escapeLine(s.lastError)}`)}`;
}

/**
 * An ISO 8601 time from the report shown in `formatTime`; text that is not a time (the
 * daemon's answer is another process's) is printed escaped as it came.
 */
export function isoIn(formatTime: FormatTime): (iso: string) => string {
  return (iso) => {
    const ms = Date.parse(iso);
    return Number.isNaN(ms) ? escapeLine(iso) : formatTime(ms);
  };
}

/** A broker URL as it may be shown: `mqtt://user:secret@host` loses its user part. */
export function withoutUserInfo(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    // Not a URL the WHATWG parser reads (the schema accepted it): show it without "…@".
    return url.replace(/\/\/[^@/]*@/, "//");
  }
}
