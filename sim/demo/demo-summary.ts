import { relative } from "node:path";
import type { CampusSummary } from "../campus/campus.js";
import { formatMicros } from "./event-line.js";

export interface SummaryContext {
  /** The demo site's folder, absolute. */
  readonly dir: string;
  readonly gates: readonly { readonly id: string; readonly configPath: string }[];
  readonly brokerUrl: string;
  /** Stopped by Ctrl-C (or SIGTERM) rather than by the duration. */
  readonly interrupted: boolean;
  /** Paths are shown relative to this folder when inside it (default: the working directory). */
  readonly cwd?: string;
}

/**
 * What the demo prints when it ends: the campus's totals, where the site is, and a few
 * commands to look into it. Plain text, no colour: it stays in the terminal after the
 * live screen is gone and reads the same in a log.
 */
export function formatDemoSummary(summary: CampusSummary, context: SummaryContext): string {
  const cwd = context.cwd ?? process.cwd();
  const show = (path: string) => {
    const rel = relative(cwd, path);
    return rel !== "" && !rel.startsWith("..") ? rel : path;
  };
  const reasons = Object.entries(summary.denied)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([reason, n]) => `${reason} ${n}`);
  const denied = Object.values(summary.denied).reduce((a, b) => a + b, 0);
  const scenarios = Object.entries(summary.byScenario)
    .sort((a, b) => b[1].scans - a[1].scans || a[0].localeCompare(b[0]))
    .map(([name, s]) => `${name} ${s.scans} (${s.granted} granted)`);
  const faults = new Map<string, number>();
  for (const f of summary.faults) faults.set(f.fault, (faults.get(f.fault) ?? 0) + 1);
  const ops = summary.operators;
  const first = context.gates[0];
  const last = context.gates[context.gates.length - 1];
  const lines = [
    "",
    `passgate demo ${context.interrupted ? "stopped" : "finished"} after ${formatDuration(summary.durationMs)}: ` +
      `${summary.gates} gates, ${summary.lanes} lanes, broker ${context.brokerUrl}`,
    `  scans ${summary.scans}   granted ${summary.granted}   denied ${denied}   ` +
      `false accepts ${summary.falseAccepts}   false rejects ${summary.falseRejects}`,
    `  denied by reason: ${reasons.length === 0 ? "none" : reasons.join(", ")}`,
    `  decision latency: p50 ${formatMicros(summary.latencyMicros.p50)}, p99 ${formatMicros(summary.latencyMicros.p99)}, ` +
      `max ${formatMicros(summary.latencyMicros.max)}`,
    `  relay opens ${summary.relayOpens}   passages ${summary.passages}   late opens ${summary.lateOpens}   ` +
      `events uploaded ${summary.eventsUploaded}   journals ${summary.journalsVerified ? "verified" : "NOT verified"}`,
    `  scenarios: ${scenarios.length === 0 ? "none" : scenarios.join(", ")}`,
    `  faults injected: ${faults.size === 0 ? "none" : [...faults].map(([f, n]) => `${f} ×${n}`).join(", ")}`,
    `  guard desk: ${ops.signedRequests} signed requests, ${ops.answeredOk} opens answered ok, ` +
      `${ops.refusedAsExpected} mode changes refused as expected` +
      `${ops.failed > 0 ? `, ${ops.failed} NOT answered as expected` : ""}; ` +
      `intruder: ${ops.intruderRequests} requests, ${ops.intruderActedOn} acted on`,
    `  reader bridges: ${summary.bridges.lanes} bridged lanes, ${summary.bridges.scansSent} scans sent, ` +
      `${summary.bridges.answered} answered, ${summary.bridges.noAnswer} no answer, ${summary.bridges.dropped} dropped as stale`,
    summary.falseAccepts > 0
      ? "  A GATE GRANTED SOMEONE IT SHOULD HAVE REFUSED: see gates.log and the journals."
      : "",
    ops.intruderActedOn > 0
      ? "  A GATE ACTED ON A REQUEST NO OPERATOR SIGNED: see gates.log and the journals."
      : "",
    "",
    `The demo site is in ${show(context.dir)}: each gate's config and SQLite database, and gates.log (the gates' logs).`,
    ...context.gates.map((g) => `  ${g.id}: ${show(g.configPath)}`),
    ...(first === undefined || last === undefined
      ? []
      : [
          "Try:",
          `  passgate -c ${show(first.configPath)} journal tail`,
          `  passgate -c ${show(first.configPath)} journal verify`,
          `  passgate -c ${show(last.configPath)} allowlist stats`,
          "(inside the repo: npm run passgate -- <command>, or node bin/passgate.js <command>)",
        ]),
    "",
  ];
  return lines.filter((line, i) => line !== "" || i === 0 || lines[i - 1] !== "").join("\n");
}

/** "8 s", "2 min 5 s", "1 h 3 min". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor(s / 60) % 60} min`;
}

/** A broker URL fit to print: any user name and password removed. */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === "" && parsed.password === "") return url;
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return "(unparsable broker URL)";
  }
}
