import type { CampusSummary, GateProcessSummary } from "./summary.js";

/**
 * The summary as plain text for a terminal or a CI log: totals, the guard desk and the
 * intruder, then one row per scenario, the denials by reason, the requests the gates
 * refused, the faults, and the verdict on the last line.
 */
export function formatCampusSummary(s: CampusSummary): string {
  const minutes = s.durationMs / 60_000;
  const perLane = s.lanes === 0 || minutes === 0 ? 0 : s.scans / s.lanes / minutes;
  const o = s.operators;
  const b = s.bridges;
  const lines = [
    `campus: ${s.gates} gates, ${s.lanes} lanes, ${(s.durationMs / 1000).toFixed(1)} s`,
    `scans ${s.scans} (${perLane.toFixed(1)}/min per lane), granted ${s.granted}, denied ${s.scans - s.granted}`,
    `false accepts ${s.falseAccepts}, false rejects ${s.falseRejects}`,
    `decision latency µs: p50 ${s.latencyMicros.p50}, p99 ${s.latencyMicros.p99}, max ${s.latencyMicros.max}`,
    `relay opens ${s.relayOpens}, passages ${s.passages}, late opens ${s.lateOpens}, false forced-passage alarms ${s.falseAlarms}`,
    `events uploaded ${s.eventsUploaded}, journals ${s.journalsVerified ? "verified" : "BROKEN"}`,
    `guard desk: ${o.signedRequests} signed requests, ${o.answeredOk} opens answered ok, ` +
      `${o.refusedAsExpected} mode changes refused as expected, ${o.explainedByFault} explained by faults, ${o.failed} failed`,
    `intruder: ${o.intruderRequests} unsigned or forged requests, ${o.intruderActedOn} acted on`,
    `bridges: ${b.lanes} bridged lanes, ${b.scansSent} scans sent, ${b.answered} answered, ` +
      `${b.noAnswer} no answer, ${b.dropped} dropped as stale (${b.unexplained} "try again" outside a fault)`,
    `revocations: ${s.revocationMs.revocations}, applied at ${s.revocationMs.gates} of ${s.gates} gates, ms: ` +
      `p50 ${s.revocationMs.p50}, p99 ${s.revocationMs.p99}, max ${s.revocationMs.max}`,
    ...(s.gateProcesses === undefined ? [] : [processLine(s.gateProcesses)]),
    "",
    table(
      ["scenario", "scans", "granted", "denied"],
      Object.entries(s.byScenario)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, r]) => [name, String(r.scans), String(r.granted), String(r.denied)]),
    ),
    "",
    table(
      ["denied by reason", "count"],
      Object.entries(s.denied)
        .sort(([, a], [, b]) => b - a)
        .map(([reason, n]) => [reason, String(n)]),
    ),
  ];
  const refusals = Object.entries(o.gateRefusals).sort(([a], [b]) => a.localeCompare(b));
  if (refusals.length > 0) {
    lines.push(
      "",
      table(
        ["requests refused by the gates", "count"],
        refusals.map(([k, n]) => [k, String(n)]),
      ),
    );
  }
  if (s.faults.length > 0) {
    lines.push("", "faults:");
    for (const f of s.faults) lines.push(`  ${f.fault}: ${f.detail ?? ""}`);
  }
  const problems = [
    s.falseAccepts > 0 ? `${s.falseAccepts} false accepts` : "",
    s.lateOpens > 0 ? `${s.lateOpens} late opens` : "",
    s.journalsVerified ? "" : "a journal failed verification",
    o.failed > 0 ? `${o.failed} desk requests not answered as expected` : "",
    o.intruderActedOn > 0 ? `${o.intruderActedOn} intruder requests acted on` : "",
  ].filter((p) => p !== "");
  lines.push(
    "",
    problems.length === 0
      ? "ok: no false accept, no late open, journals verified, operators answered, intruder refused"
      : `FAILED: ${problems.join(", ")}`,
  );
  return `${lines.join("\n")}\n`;
}

function processLine(p: GateProcessSummary): string {
  return (
    `gate processes: ${p.count} started in ${(p.startMs / 1000).toFixed(1)} s, ${p.restarts} killed and restarted ` +
    `(${p.decidedAfterRestart} scans decided after), memory per process MiB: RSS mean ${p.rssMiB.mean} max ${p.rssMiB.max}, ` +
    `anonymous mean ${p.rssAnonMiB.mean} max ${p.rssAnonMiB.max}`
  );
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
