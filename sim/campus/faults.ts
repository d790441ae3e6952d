/** The faults a campus run injects (docs/simulator.md says what each must and must not do). */
export type FaultKind =
  | "broker_restart"
  | "registry_down"
  | "reader_unplug"
  | "bridge_unplug"
  | "clock_skew_within"
  | "clock_skew_beyond"
  | "gate_restart";

export interface ScheduledFault {
  /** ms after the crowd starts, within one cycle. */
  readonly at: number;
  readonly fault: FaultKind;
  readonly lastsMs: number;
  /** For clock skews: how far the gate's clock runs ahead (negative: behind), ms. */
  readonly skewMs?: number;
}

/** A change the registry makes while the campus runs. */
export interface ScheduledChange {
  readonly at: number;
  readonly change: "revoke" | "add_visitor";
}

/** The schedule repeats with this period when a run is longer (or has no end). */
export const FAULT_CYCLE_MS = 60_000;

/**
 * Within the token window of 2 steps (±60 s): +40 s must not refuse a code. Beyond it:
 * +100 s puts every code 3–4 steps behind the gate's clock, so valid codes are refused
 * as expired (expected: the gate cannot know its clock is wrong; see expectedAnswer).
 */
export const SKEW_WITHIN_MS = 40_000;
export const SKEW_BEYOND_MS = 100_000;

/**
 * The faults of one cycle of `cycleMs`, placed at fixed fractions so that even a 20 s run
 * sees each of them, and the crowd keeps arriving through every one.
 */
export function faultSchedule(
  cycleMs: number,
  options: { readonly gateProcesses?: boolean } = {},
): ScheduledFault[] {
  const at = (fraction: number) => Math.round(cycleMs * fraction);
  return [
    { at: at(0.2), fault: "broker_restart", lastsMs: 1_500 },
    { at: at(0.32), fault: "registry_down", lastsMs: at(0.15) },
    { at: at(0.5), fault: "reader_unplug", lastsMs: Math.max(2_000, at(0.1)) },
    // Gate processes only: one is killed (SIGKILL) and started again, well before the
    // revocation at 0.7 so that it is back to apply it.
    ...(options.gateProcesses === true
      ? [{ at: at(0.55), fault: "gate_restart" as const, lastsMs: Math.max(2_000, at(0.04)) }]
      : []),
    { at: at(0.6), fault: "clock_skew_within", lastsMs: at(0.1), skewMs: SKEW_WITHIN_MS },
    { at: at(0.75), fault: "clock_skew_beyond", lastsMs: at(0.1), skewMs: SKEW_BEYOND_MS },
    { at: at(0.9), fault: "bridge_unplug", lastsMs: Math.max(2_000, at(0.05)) },
  ];
}

/** Registry changes of one cycle: revocations and new visitors while scans go on. */
export function changeSchedule(cycleMs: number): ScheduledChange[] {
  const at = (fraction: number) => Math.round(cycleMs * fraction);
  return [
    { at: at(0.1), change: "add_visitor" },
    { at: at(0.15), change: "revoke" },
    { at: at(0.4), change: "revoke" },
    { at: at(0.42), change: "add_visitor" },
    { at: at(0.7), change: "revoke" },
  ];
}

/**
 * Denial reasons a fault may cause for a code that should open (then not a false reject),
 * the outcomes it may cause for a request of the guard desk (`no_response`, `relay_<code>`;
 * see campus-desk.ts), and `no_answer`: a reader bridge that played "try again" for a scan
 * (no answer from the gate in time, or the scan dropped as stale before it was sent).
 */
const EXPLAINS: Readonly<Record<FaultKind, readonly string[]>> = {
  // The gate's session and the relay board reconnect: until the board is back, its relay is
  // offline; a request sent around the restart is lost with the broker's sessions. A bridge
  // keeps its scans while the broker is away: one sent on its return may reach the gate too
  // old (`stale_scan`), or be dropped by the bridge, or its answer lost ("try again").
  broker_restart: ["relay_offline", "no_response", "relay_unconfirmed", "stale_scan", "no_answer"],
  // A budget of allowlist age may run out while the registry is away.
  registry_down: ["allowlist_stale"],
  reader_unplug: [],
  // A scan in flight when the bridge stops is never answered.
  bridge_unplug: ["no_answer"],
  // A signed request is fresh within ±30 s of the gate's clock: a gate 40 s or 100 s ahead
  // refuses it as stale, unanswered. A bridged scan in flight while the clock steps is
  // stale at the gate (a step ahead) or refused from the future (a step back, unanswered).
  clock_skew_within: ["no_response", "stale_scan", "no_answer"],
  clock_skew_beyond: ["no_response", "stale_scan", "no_answer"],
  // A gate process killed: requests and bridged scans to it go unanswered; once back, its
  // relays are offline until each board answers, and a scan delivered on its return is stale.
  gate_restart: ["relay_offline", "relay_unconfirmed", "stale_scan", "no_answer", "no_response"],
};

/**
 * Where in each cycle the guard desk and then the intruder send their requests: before the
 * broker restart (0.2) and clear of the clock skews of the cycle before (0.6–0.85 and their grace).
 */
export const DESK_AT = 0.05;
export const INTRUDER_AT = 0.1;

/** How long after a fault ends its effects may still show (reconnect back-off, retained state). */
export const FAULT_GRACE_MS = 3_000;

/**
 * A fault still under way when the run's time is up, though its schedule ended it before (a
 * gate process that a loaded machine brings back slowly), is seen through: people keep
 * arriving, with no new fault, until it has ended and this long after, past its grace, so
 * what came back is tried by scans, not only declared back.
 */
export const SEEN_THROUGH_MS = FAULT_GRACE_MS + 3_000;

/** The fault (of those active or recently ended) that explains a denial `reason`, if any. */
export function explainingFault(
  reason: string,
  gate: string,
  at: number,
  windows: readonly { fault: FaultKind; gate?: string; from: number; to: number | undefined }[],
): FaultKind | undefined {
  for (const w of windows) {
    if (w.gate !== undefined && w.gate !== gate) continue;
    if (at < w.from || (w.to !== undefined && at > w.to + FAULT_GRACE_MS)) continue;
    if (EXPLAINS[w.fault].includes(reason)) return w.fault;
  }
  return undefined;
}
