import type { DecisionRow, DemoViewModel, GateView, LaneView, LogLine } from "./demo-view-model.js";
import { formatMicros, type TimeOfDay } from "./event-line.js";
import { type Cell, fitText, renderCells } from "./text-cells.js";

/** What the screen shows besides the model, and how big it is. */
export interface ScreenFrame {
  readonly width: number;
  readonly height: number;
  readonly color: boolean;
  readonly now: number;
  readonly startedAt: number;
  readonly brokerUrl: string;
  /** True when the broker is the demo's own (aedes), false for `--broker`. */
  readonly embeddedBroker: boolean;
  readonly registryUrl: string;
  /** The web console's one-time login URL, when the demo runs one. */
  readonly consoleLogin?: string | undefined;
  readonly time: TimeOfDay;
  /** Show the key help (r, v, q): only when keys are read. */
  readonly keys: boolean;
  /** Set once Ctrl-C was pressed: the campus is shutting down. */
  readonly stopping: boolean;
}

/** Decision rows shown per lane at most, however tall the terminal. */
const MAX_ROWS_PER_LANE = 6;
/** Lines of the sync and of the fault log sections. */
const SYNC_LINES = 4;
const FAULT_LINES = 3;

/**
 * The live demo screen as lines, each at most `frame.width` visible characters and at
 * most `frame.height - 1` lines (the last terminal row stays free so the screen never
 * scrolls). Pure: the same model and frame give the same lines.
 */
export function renderScreen(model: DemoViewModel, frame: ScreenFrame): string[] {
  const header = [...headerLines(model, frame), []];
  const totals = totalsLines(model);
  const lanes = [...model.gates.values()].reduce((n, g) => n + g.lanes.size, 0);
  // Space goes first to the header, the totals and one decision per lane, then to the
  // sync and fault logs, then to more decisions per lane.
  const leastGates = model.gates.size + 2 * lanes + 1;
  let spare = frame.height - 1 - header.length - totals.length - leastGates;
  const sections = spare >= 4;
  if (sections) spare -= 4;
  const syncCount = Math.min(SYNC_LINES, Math.max(0, Math.ceil(spare / 2)));
  const faultCount = Math.min(FAULT_LINES, Math.max(0, spare - syncCount));
  spare -= syncCount + faultCount;
  const rows = Math.min(MAX_ROWS_PER_LANE, 1 + Math.max(0, Math.floor(spare / Math.max(1, lanes))));
  const body = [
    ...gateLines(model, frame, rows),
    ...(sections ? [...syncLines(model, frame, syncCount), ...faultLines(model, frame, faultCount)] : []),
  ];
  // On a terminal too short even for that, the gates are cut, never the totals.
  const room = Math.max(0, frame.height - 1 - header.length - totals.length);
  const cells = [...header, ...body.slice(0, room), ...totals].slice(0, Math.max(1, frame.height - 1));
  return cells.map((c) => renderCells(c, frame.width, frame.color));
}

function headerLines(model: DemoViewModel, frame: ScreenFrame): Cell[][] {
  const status: Cell = frame.stopping
    ? { text: "stopping the campus…", style: "yellow" }
    : { text: frame.keys ? "q quit · r revoke someone · v add a visitor" : "Ctrl-C stop", style: "dim" };
  const versions: Cell[] = [{ text: "allowlist  ", style: "dim" }];
  for (const [i, gate] of [...model.gates.values()].entries()) {
    if (i > 0) versions.push({ text: " · " });
    versions.push({ text: `${gate.id} ` });
    versions.push(
      gate.syncError !== undefined
        ? { text: `${versionText(gate)} (sync failing)`, style: "yellow" }
        : { text: versionText(gate), style: "cyan" },
    );
  }
  const lastNote = model.notes[0];
  return [
    [
      { text: "passgate demo", style: "bold" },
      { text: `  up ${formatUptime(frame.now - frame.startedAt)}  ` },
      status,
    ],
    [
      { text: "broker ", style: "dim" },
      { text: frame.brokerUrl },
      { text: frame.embeddedBroker ? " (embedded)" : "", style: "dim" },
      { text: "   registry ", style: "dim" },
      { text: frame.registryUrl },
    ],
    ...(frame.consoleLogin === undefined
      ? []
      : [[{ text: "console ", style: "dim" } as Cell, { text: frame.consoleLogin }]]),
    versions,
    ...(lastNote === undefined
      ? []
      : [
          [
            {
              text: `${frame.time(lastNote.at)} ${lastNote.text}`,
              style: lastNote.ok ? "cyan" : "yellow",
            } as Cell,
          ],
        ]),
  ];
}

function versionText(gate: GateView): string {
  return gate.version === undefined ? "v?" : `v${gate.version}`;
}

/** Each gate with its relays, then each lane with its last `rows` decisions (an empty line when none yet). */
function gateLines(model: DemoViewModel, frame: ScreenFrame, rows: number): Cell[][] {
  const lines: Cell[][] = [];
  for (const gate of model.gates.values()) {
    const relays: Cell[] = [];
    for (const [id, relay] of [...gate.relays.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      relays.push({ text: `  ${id} ` });
      relays.push(relay.on ? { text: "■ open", style: "green" } : { text: "□ shut", style: "dim" });
      relays.push({ text: ` ×${relay.opens}`, style: "dim" });
    }
    lines.push([
      { text: gate.id, style: "bold" },
      ...(relays.length > 0 ? [{ text: "   relays" }] : []),
      ...relays,
    ]);
    for (const lane of [...gate.lanes.values()].sort((a, b) => a.reader.localeCompare(b.reader))) {
      lines.push(laneHeader(lane, frame));
      const recent = lane.recent.slice(0, rows);
      for (const row of recent) lines.push(decisionLine(row, frame));
      if (recent.length === 0) lines.push([]);
    }
  }
  if (lines.length > 0) lines.push([]);
  return lines;
}

function laneHeader(lane: LaneView, frame: ScreenFrame): Cell[] {
  const passage = lane.lastPassage;
  return [
    { text: `  ${fitText(lane.reader, 6)}`, style: "bold" },
    ...(lane.bridged ? [{ text: " via bridge", style: "dim" } as Cell] : []),
    ...(passage === undefined
      ? []
      : [
          { text: " last passage ", style: "dim" } as Cell,
          { text: `${frame.time(passage.at)} ` },
          passage.passed ? ({ text: "passed" } as Cell) : ({ text: "turned back", style: "yellow" } as Cell),
        ]),
  ];
}

/** Most telling first, so a narrow terminal cuts the least useful columns: time, result, reason, µs, person, scenario. */
function decisionLine(row: DecisionRow, frame: ScreenFrame): Cell[] {
  const falseAccept = row.result === "grant" && row.expect === "deny";
  const falseReject = row.result === "deny" && row.expect === "grant";
  return [
    { text: `    ${frame.time(row.at)}  `, style: "dim" },
    row.result === "grant" ? { text: "GRANTED ", style: "green" } : { text: "denied  ", style: "red" },
    ...(falseAccept ? [{ text: "FALSE ACCEPT", style: "alarm" } as Cell, { text: " " }] : []),
    ...(falseReject ? [{ text: "false reject", style: "yellow" } as Cell, { text: " " }] : []),
    { text: fitText(row.reason, 18) },
    { text: formatMicros(row.micros).padStart(10), style: "dim" },
    { text: `  ${fitText(row.person, 12)} ` },
    { text: row.scenario, style: "dim" },
  ];
}

function syncLines(model: DemoViewModel, frame: ScreenFrame, count: number): Cell[][] {
  return [[{ text: "sync and registry", style: "bold" }], ...logLines(model.syncLog, count, frame), []];
}

function faultLines(model: DemoViewModel, frame: ScreenFrame, count: number): Cell[][] {
  const active: Cell[] = [{ text: "faults", style: "bold" }];
  if (model.activeFaults.size === 0) active.push({ text: "  none in progress", style: "dim" });
  for (const [name, fault] of model.activeFaults) {
    active.push({ text: `  ${name}`, style: "yellow" });
    active.push({ text: ` since ${frame.time(fault.since)}`, style: "dim" });
  }
  return [active, ...logLines(model.faultLog, count, frame), []];
}

function logLines(log: readonly LogLine[], count: number, frame: ScreenFrame): Cell[][] {
  const lines: Cell[][] = log
    .slice(0, count)
    .map((line) => [
      { text: `  ${frame.time(line.at)}  `, style: "dim" },
      line.ok ? { text: line.text } : { text: line.text, style: "yellow" },
    ]);
  while (lines.length < count) lines.push([]);
  return lines;
}

function totalsLines(model: DemoViewModel): Cell[][] {
  const t = model.totals;
  const p50 = model.latency.quantile(0.5);
  const p99 = model.latency.quantile(0.99);
  const reasons = [...t.deniedByReason.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return [
    [
      { text: "scans ", style: "dim" },
      { text: `${t.scans}` },
      { text: "  granted ", style: "dim" },
      { text: `${t.granted}`, style: "green" },
      { text: "  denied ", style: "dim" },
      { text: `${t.denied}`, style: "red" },
      { text: "  false accepts ", style: "dim" },
      t.falseAccepts > 0 ? { text: `${t.falseAccepts}`, style: "alarm" } : { text: "0", style: "green" },
      { text: "  false rejects ", style: "dim" },
      { text: `${t.falseRejects}`, style: t.falseRejects > 0 ? "yellow" : undefined },
    ],
    [
      { text: "decision p50 ", style: "dim" },
      { text: p50 === undefined ? "–" : formatMicros(p50) },
      { text: "  p99 ", style: "dim" },
      { text: p99 === undefined ? "–" : formatMicros(p99) },
      { text: "   relay opens ", style: "dim" },
      { text: `${t.relayOpens}` },
      { text: "  passages ", style: "dim" },
      { text: `${t.passed}` },
      { text: "  turned back ", style: "dim" },
      { text: `${t.turnedBack}` },
    ],
    [
      { text: "denied by reason ", style: "dim" },
      { text: reasons.length === 0 ? "–" : reasons.map(([r, n]) => `${r} ${n}`).join(" · ") },
    ],
  ];
}

/** "00:01:23" (hours grow past 99 if need be). */
export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
}
