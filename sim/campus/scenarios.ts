import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { encodeEd25519Token } from "../../daemon/verify/pg1-encoder.js";
import { weightedPick } from "./crowd.js";
import { type CampusPerson, PERIOD_S, type PersonKind, phoneCode } from "./population.js";
import type { SeededRandom } from "./rng.js";

/** The scenarios a scan can belong to (forced passages are not scans: see campus.ts). */
export const SCENARIOS = [
  "valid",
  "minor",
  "visitor",
  "zone_grant",
  "turn_back",
  "expired_code",
  "replay_other_gate",
  "forged",
  "suspended",
  "revoked",
  "visitor_expired",
  "wrong_gate",
  "wrong_time",
  "revoked_live",
  "new_visitor",
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** How often the crowd picks each scenario (relative weights). */
export const SCENARIO_WEIGHTS: Readonly<Record<ScenarioName, number>> = {
  valid: 44,
  minor: 5,
  visitor: 5,
  zone_grant: 3,
  turn_back: 5,
  expired_code: 5,
  replay_other_gate: 6,
  forged: 4,
  suspended: 3,
  revoked: 3,
  visitor_expired: 3,
  wrong_gate: 4,
  wrong_time: 3,
  revoked_live: 4,
  new_visitor: 3,
};

/** A code the crowd shows at a reader, with what decides the right answer. */
export interface PlannedScan {
  readonly scenario: ScenarioName;
  readonly person: CampusPerson;
  /** The live token: handed to the scanner only, never logged or put in an event. */
  readonly text: string;
  /** The time step the code was made for. */
  readonly tokenStep: number;
  /** False for codes no correct gate may accept at all (forged, a screenshot already used). */
  readonly genuine: boolean;
  /** Whether the gate's policy admits this credential at this gate at gate time `now` (epoch ms). */
  readonly admits: (now: number) => boolean;
  /** Whether the person goes through after a grant (false: turns back). */
  readonly passes: boolean;
}

/** A granted code, kept for a screenshot shown at another gate. */
export interface RecentGrant {
  readonly gate: string;
  readonly person: CampusPerson;
  readonly text: string;
  readonly tokenStep: number;
}

/** What the crowd knows when it picks the next scan. */
export interface CrowdView {
  readonly rng: SeededRandom;
  readonly gate: string;
  /** The phone's time step (the real clock: phones keep good time). */
  readonly phoneStep: number;
  readonly byKind: ReadonlyMap<PersonKind, readonly CampusPerson[]>;
  /** Last step each credential showed a code at any gate: a phone shows one code per step. */
  readonly lastStep: ReadonlyMap<string, number>;
  /**
   * Whether a code of this credential is still undecided somewhere (ScanLedger.undecided):
   * nobody shows another code of that person meanwhile, theirs or anyone's.
   */
  readonly undecided: (credential: string) => boolean;
  /** Grants at other gates whose screenshot may be shown here now (the engine filters them). */
  readonly replayable: readonly RecentGrant[];
  readonly revokedLive: readonly CampusPerson[];
  readonly addedVisitors: readonly CampusPerson[];
  /** The hours (UTC, [from, to)) of the night cleaners' schedule. */
  readonly night: { readonly fromHour: number; readonly toHour: number };
}

const VALID_KINDS: readonly PersonKind[] = ["student", "staff", "student_staff"];

/**
 * Picks a scenario by weight and makes its scan; a scenario that has nobody to show
 * (no grant to replay yet, nobody revoked yet) falls back to a valid code.
 */
export function planScan(
  view: CrowdView,
  forger: KeyObject,
  owed: ReadonlySet<ScenarioName> = new Set(),
): PlannedScan | undefined {
  // Three scans in four go to a scenario not seen yet in this cycle, so that even a short
  // run shows each one (those that cannot be made yet, such as a screenshot before any
  // grant, wait for a later turn).
  if (owed.size > 0 && view.rng.next() < 0.75) {
    for (const scenario of owed) {
      const scan = makeScan(scenario, view, forger);
      if (scan !== undefined) return scan;
    }
  }
  const scenario = weightedPick(view.rng, SCENARIO_WEIGHTS);
  return makeScan(scenario, view, forger) ?? makeScan("valid", view, forger);
}

/** A fresh key nobody registered: the forger's. */
export function forgerKey(): KeyObject {
  return generateKeyPairSync("ed25519").privateKey;
}

function makeScan(scenario: ScenarioName, view: CrowdView, forger: KeyObject): PlannedScan | undefined {
  const step = view.phoneStep;
  const fresh = (people: readonly CampusPerson[] | undefined, minGap = 1) =>
    pickFree(view, people ?? [], step, minGap);
  const of = (kind: PersonKind) => view.byKind.get(kind);
  const scan = (
    person: CampusPerson | undefined,
    admits: (now: number) => boolean,
    options: { tokenStep?: number; passes?: boolean } = {},
  ): PlannedScan | undefined => {
    if (person === undefined) return undefined;
    const tokenStep = options.tokenStep ?? step;
    return {
      scenario,
      person,
      text: phoneCode(person, tokenStep),
      tokenStep,
      genuine: true,
      admits,
      passes: options.passes ?? true,
    };
  };
  const always = () => true;
  const never = () => false;
  switch (scenario) {
    case "valid":
      return scan(fresh(VALID_KINDS.flatMap((k) => of(k) ?? [])), always);
    case "minor":
      return scan(fresh(of("minor")), always);
    case "visitor":
      return scan(fresh(of("visitor")), always);
    case "zone_grant":
      return scan(fresh((of("contractor") ?? []).filter((p) => contractorGate(p) === view.gate)), always);
    case "turn_back":
      return scan(fresh(of("student")), always, { passes: false });
    case "expired_code": {
      // A code from 2 minutes ago: four steps back, beyond the window of 2.
      const person = fresh(
        VALID_KINDS.flatMap((k) => of(k) ?? []),
        6,
      );
      return scan(person, always, { tokenStep: step - 4 });
    }
    case "replay_other_gate": {
      const shots = view.replayable.filter((s) => !view.undecided(s.person.credential.id));
      if (shots.length === 0) return undefined;
      const shot = view.rng.pick(shots);
      return {
        scenario,
        person: shot.person,
        text: shot.text,
        tokenStep: shot.tokenStep,
        genuine: false,
        admits: never,
        passes: true,
      };
    }
    case "forged": {
      const people = VALID_KINDS.flatMap((k) => of(k) ?? []).filter((p) => !view.undecided(p.credential.id));
      if (people.length === 0) return undefined;
      const person = view.rng.pick(people);
      return {
        scenario,
        person,
        text: encodeEd25519Token(person.credential.id, step, forger),
        tokenStep: step,
        genuine: false,
        admits: never,
        passes: true,
      };
    }
    case "suspended":
      return scan(fresh(of("suspended")), never);
    case "revoked":
      return scan(fresh(of("revoked")), never);
    case "visitor_expired":
      return scan(fresh(of("visitor_expired")), never);
    case "wrong_gate":
      return scan(fresh((of("contractor") ?? []).filter((p) => contractorGate(p) !== view.gate)), never);
    case "wrong_time": {
      const { fromHour, toHour } = view.night;
      return scan(fresh(of("night_cleaner")), (now) => {
        const hour = new Date(now).getUTCHours();
        return hour >= fromHour && hour < toHour;
      });
    }
    case "revoked_live":
      // Admitted by policy; the revocation itself is judged against the gate's allowlist version.
      return scan(fresh(view.revokedLive), always);
    case "new_visitor":
      return scan(fresh(view.addedVisitors), always);
  }
}

/**
 * Someone of `people` whose phone has not shown a code in the last `minGap` steps and who
 * has no code still undecided.
 */
function pickFree(
  view: CrowdView,
  people: readonly CampusPerson[],
  step: number,
  minGap: number,
): CampusPerson | undefined {
  const free = people.filter((p) => {
    const last = view.lastStep.get(p.credential.id);
    return (last === undefined || last <= step - minGap) && !view.undecided(p.credential.id);
  });
  return free.length === 0 ? undefined : view.rng.pick(free);
}

/** The one gate a contractor's zone grant names. */
export function contractorGate(person: CampusPerson): string | undefined {
  const zones = person.credential.zones;
  return Array.isArray(zones) && typeof zones[0] === "string" ? zones[0] : undefined;
}

/** What the gate knows when it decides, for the expected answer. */
export interface GateKnowledge {
  /** The gate's own clock (skewed when a clock fault is on). */
  readonly now: number;
  /** The allowlist version the gate has applied. */
  readonly version: number;
  /** The gate's token window, steps either side. */
  readonly window: number;
}

/** The registry's history of a credential: when it appeared and when it was revoked (versions). */
export interface CredentialHistory {
  readonly addedIn: number;
  readonly revokedIn?: number | undefined;
}

/**
 * The answer a correct gate must give, judged with what the gate can know: its own clock
 * (a gate cannot tell its clock is wrong) and the allowlist version it has applied (a
 * revocation the gate has not received yet cannot be honoured). A code is refused when it
 * is not genuine, its step is outside the window of the gate's step, the gate's allowlist
 * predates the credential or includes its revocation, or the policy does not admit it.
 */
export function expectedAnswer(
  scan: PlannedScan,
  gate: GateKnowledge,
  history: CredentialHistory,
): "grant" | "deny" {
  if (!scan.genuine) return "deny";
  const gateStep = Math.floor(gate.now / (PERIOD_S * 1000));
  if (Math.abs(scan.tokenStep - gateStep) > gate.window) return "deny";
  if (history.addedIn > gate.version) return "deny";
  if (history.revokedIn !== undefined && history.revokedIn <= gate.version) return "deny";
  return scan.admits(gate.now) ? "grant" : "deny";
}
