import { describe, expect, it } from "vitest";
import { configSchema } from "../../config/schema.js";
import { type Credential, credentialSchema } from "../allowlist/credential.js";
import type { VerificationResult } from "../verify/verify-token.js";
import { type DecisionInput, decide, type GateState } from "./decide.js";
import type { Decision } from "./reasons.js";
import type { StalenessBudgets } from "./staleness.js";

const policy = configSchema.parse({
  site: "demo-campus",
  gate: "main-1",
  timezone: "Europe/Moscow",
  policy: {
    zone: "campus",
    rules: [
      { name: "staff", roles: ["staff"] },
      { name: "students", roles: ["student"], schedule: "lectures" },
      {
        name: "visitors",
        roles: ["visitor"],
        minAssurance: "standard",
        schedule: "office",
        directions: ["in"],
      },
      { name: "library", zones: ["library"], schedule: "lectures" },
    ],
    schedules: {
      lectures: [{ days: ["mon", "tue", "wed", "thu", "fri"], from: "07:00", to: "22:00" }],
      office: [{ days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "18:00" }],
    },
    holidays: ["2026-12-31"],
    antiPassback: { mode: "hard" },
  },
}).policy;

/** Tuesday 2026-11-24 12:00 in Moscow (UTC+3). */
const TUESDAY_NOON = Date.parse("2026-11-24T09:00:00Z");
const ok: VerificationResult = { ok: true, step: 58_800_000, period: 30 };

function credential(fields: Record<string, unknown> = {}): Credential {
  return credentialSchema.parse({
    id: "1001",
    person: "p-1001",
    roles: ["student"],
    status: "active",
    assurance: "confirmed",
    scheme: "ed25519",
    ed25519: { publicKey: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" },
    ...fields,
  });
}

function input(
  over: {
    verification?: VerificationResult;
    credential?: Credential | undefined;
    state?: Partial<GateState>;
    now?: number;
    direction?: "in" | "out";
    antiPassback?: "off" | "hard" | "soft" | "timed";
    /** `policy.antiPassback.partition`; open (the default) unless given. */
    partition?: "open" | "closed";
    staleness?: StalenessBudgets;
  } = {},
): DecisionInput {
  return {
    verification: over.verification ?? ok,
    credential: "credential" in over ? over.credential : credential(),
    gate: {
      direction: over.direction ?? "in",
      timezone: "Europe/Moscow",
      policy: {
        ...policy,
        antiPassback: {
          mode: over.antiPassback ?? "hard",
          window: 300_000,
          partition: over.partition ?? "open",
          partitionAfter: 15_000,
        },
      },
      staleness: over.staleness,
    },
    state: { mode: "normal", replayed: false, ...over.state },
    now: over.now ?? TUESDAY_NOON,
  };
}

const at = (iso: string) => Date.parse(iso);

/**
 * Anti-passback while this gate cannot hear its zone (`siteReachable: false`): a fail-closed
 * zone denies what hard or timed anti-passback would decide, whatever this gate remembers;
 * a fail-open zone (the default) decides on what this gate knows, as before.
 */
function partitionCases(): [string, DecisionInput, Partial<Decision>][] {
  const cut = { siteReachable: false };
  const enteredHere = { direction: "in" as const, at: TUESDAY_NOON - 60_000 };
  const leftHere = { direction: "out" as const, at: TUESDAY_NOON - 60_000 };
  return [
    [
      "fail-closed, zone not heard, no passage known: denied for the partition",
      input({ partition: "closed", state: cut }),
      { result: "denied", reason: "anti_passback_partition", flags: [] },
    ],
    [
      "fail-closed, zone not heard, left here last: denied (an entry elsewhere may be unheard)",
      input({ partition: "closed", state: { ...cut, lastPassage: leftHere } }),
      { result: "denied", reason: "anti_passback_partition" },
    ],
    [
      "fail-closed, zone not heard, entered here last: the partition is the reason",
      input({ partition: "closed", state: { ...cut, lastPassage: enteredHere } }),
      { result: "denied", reason: "anti_passback_partition" },
    ],
    [
      "fail-closed timed anti-passback, zone not heard: denied",
      input({ partition: "closed", antiPassback: "timed", state: cut }),
      { result: "denied", reason: "anti_passback_partition" },
    ],
    [
      "fail-closed, zone heard: decided as usual (granted)",
      input({ partition: "closed", state: { siteReachable: true, lastPassage: leftHere } }),
      { result: "granted", reason: "ok" },
    ],
    [
      "fail-closed, zone heard: decided as usual (anti_passback)",
      input({ partition: "closed", state: { siteReachable: true, lastPassage: enteredHere } }),
      { result: "denied", reason: "anti_passback" },
    ],
    [
      "fail-closed, reachability not asked: decided as usual",
      input({ partition: "closed" }),
      { result: "granted", reason: "ok" },
    ],
    [
      "fail-open, zone not heard: decided on what this gate knows (granted)",
      input({ state: cut }),
      { result: "granted", reason: "ok" },
    ],
    [
      "fail-open, zone not heard: decided on what this gate knows (anti_passback)",
      input({ state: { ...cut, lastPassage: enteredHere } }),
      { result: "denied", reason: "anti_passback" },
    ],
    [
      "fail-closed soft anti-passback, zone not heard: it grants either way, so locally",
      input({ partition: "closed", antiPassback: "soft", state: { ...cut, lastPassage: enteredHere } }),
      { result: "granted", flags: ["anti_passback_soft"] },
    ],
    [
      "fail-closed with anti-passback off, zone not heard: granted",
      input({ partition: "closed", antiPassback: "off", state: cut }),
      { result: "granted", reason: "ok" },
    ],
    [
      "fail-closed, zone not heard: a scan that fails anyway keeps its own reason",
      input({ partition: "closed", credential: credential({ status: "revoked" }), state: cut }),
      { result: "denied", reason: "revoked" },
    ],
    [
      "fail-closed, zone not heard: outside the schedule keeps its reason",
      input({ partition: "closed", now: at("2026-11-29T09:00:00Z"), state: cut }),
      { result: "denied", reason: "outside_schedule" },
    ],
    [
      "fail-closed, zone not heard, free passage: granted (a fire alarm still opens)",
      input({ partition: "closed", state: { ...cut, mode: "free" } }),
      { result: "granted", reason: "free_passage" },
    ],
    [
      "fail-closed, zone not heard, relay offline: the partition is said first",
      input({ partition: "closed", state: { ...cut, relayAvailable: false } }),
      { result: "denied", reason: "anti_passback_partition" },
    ],
  ];
}

const cases: [string, DecisionInput, Partial<Decision>][] = [
  ["a student at noon on a weekday", input(), { result: "granted", reason: "ok", rule: "students" }],
  [
    "staff at any time",
    input({ credential: credential({ roles: ["staff"] }), now: at("2026-11-29T01:00:00Z") }),
    { result: "granted", rule: "staff" },
  ],
  [
    "a person both student and staff on Sunday night",
    input({ credential: credential({ roles: ["student", "staff"] }), now: at("2026-11-29T01:00:00Z") }),
    { result: "granted", rule: "staff" },
  ],
  [
    "a student on Sunday",
    input({ now: at("2026-11-29T09:00:00Z") }),
    { result: "denied", reason: "outside_schedule" },
  ],
  [
    "a student at 06:59 Moscow (03:59Z)",
    input({ now: at("2026-11-24T03:59:00Z") }),
    { result: "denied", reason: "outside_schedule" },
  ],
  ["a student at 07:00 Moscow (04:00Z)", input({ now: at("2026-11-24T04:00:00Z") }), { result: "granted" }],
  [
    "a student at 22:00 Moscow, end is exclusive",
    input({ now: at("2026-11-24T19:00:00Z") }),
    { result: "denied", reason: "outside_schedule" },
  ],
  [
    "a student on a holiday (Thursday 2026-12-31)",
    input({ now: at("2026-12-31T09:00:00Z") }),
    { result: "denied", reason: "outside_schedule" },
  ],
  [
    "a holiday is a Moscow date: 21:30Z on Dec 30 is already Dec 31 00:30 local",
    input({ credential: credential({ roles: ["student"] }), now: at("2026-12-30T21:30:00Z") }),
    { result: "denied", reason: "outside_schedule" },
  ],
  [
    "a contractor: no rule for the role",
    input({ credential: credential({ roles: ["contractor"] }) }),
    { result: "denied", reason: "not_allowed_here" },
  ],
  [
    "no roles at all",
    input({ credential: credential({ roles: [] }) }),
    { result: "denied", reason: "not_allowed_here" },
  ],
  [
    "a zone grant opens the library rule",
    input({ credential: credential({ roles: ["alumni"], zones: ["library"] }) }),
    { result: "granted", rule: "library" },
  ],
  [
    "a visitor with standard assurance in office hours",
    input({ credential: credential({ roles: ["visitor"], assurance: "standard" }) }),
    { result: "granted", rule: "visitors" },
  ],
  [
    "a visitor with simplified assurance",
    input({ credential: credential({ roles: ["visitor"], assurance: "simplified" }) }),
    { result: "denied", reason: "assurance_too_low" },
  ],
  [
    "a visitor with no assurance counts as simplified",
    input({ credential: credential({ roles: ["visitor"], assurance: undefined }) }),
    { result: "denied", reason: "assurance_too_low" },
  ],
  [
    "a visitor leaving: visitors rule is in-only",
    input({ credential: credential({ roles: ["visitor"], assurance: "confirmed" }), direction: "out" }),
    { result: "denied", reason: "not_allowed_here" },
  ],
  [
    "a visitor after office hours",
    input({
      credential: credential({ roles: ["visitor"], assurance: "confirmed" }),
      now: at("2026-11-24T16:00:00Z"),
    }),
    { result: "denied", reason: "outside_schedule" },
  ],
  [
    "suspended",
    input({ credential: credential({ status: "suspended" }) }),
    { result: "denied", reason: "suspended" },
  ],
  [
    "revoked",
    input({ credential: credential({ status: "revoked" }) }),
    { result: "denied", reason: "revoked" },
  ],
  [
    "before validFrom",
    input({ credential: credential({ validFrom: "2026-12-01T00:00:00Z" }) }),
    { result: "denied", reason: "credential_not_yet_valid" },
  ],
  [
    "at validUntil",
    input({ credential: credential({ validUntil: "2026-11-24T09:00:00Z" }) }),
    { result: "denied", reason: "credential_expired" },
  ],
  [
    "one ms before validUntil",
    input({ credential: credential({ validUntil: "2026-11-24T09:00:00.001Z" }) }),
    { result: "granted" },
  ],
  [
    "token did not verify",
    input({ verification: { ok: false, reason: "bad_signature" } }),
    { result: "denied", reason: "bad_signature" },
  ],
  [
    "unknown credential",
    input({ verification: { ok: false, reason: "unknown_credential" }, credential: undefined }),
    { result: "denied", reason: "unknown_credential" },
  ],
  [
    "verified but credential missing stays closed",
    input({ credential: undefined }),
    { result: "denied", reason: "unknown_credential" },
  ],
  ["replayed", input({ state: { replayed: true } }), { result: "denied", reason: "replayed" }],
  [
    "replay beats a suspended status (checked first)",
    input({ state: { replayed: true }, credential: credential({ status: "suspended" }) }),
    { result: "denied", reason: "replayed" },
  ],
  [
    "locked out",
    input({ state: { lockedUntil: TUESDAY_NOON + 1 } }),
    { result: "denied", reason: "locked_out" },
  ],
  ["lockout over", input({ state: { lockedUntil: TUESDAY_NOON } }), { result: "granted" }],
  [
    "lockdown denies a valid staff token",
    input({ credential: credential({ roles: ["staff"] }), state: { mode: "lockdown" } }),
    { result: "denied", reason: "lockdown" },
  ],
  [
    "lockdown denies a malformed scan",
    input({ verification: { ok: false, reason: "malformed" }, state: { mode: "lockdown" } }),
    { result: "denied", reason: "lockdown" },
  ],
  [
    "free passage grants a valid token",
    input({ state: { mode: "free" } }),
    { result: "granted", reason: "free_passage", flags: [] },
  ],
  [
    "free passage grants an unverified scan, flagged",
    input({
      verification: { ok: false, reason: "malformed" },
      credential: undefined,
      state: { mode: "free" },
    }),
    { result: "granted", reason: "free_passage", flags: ["unverified"] },
  ],
  [
    "a stale bridged scan is denied before anything, even free passage (it would open late)",
    input({ state: { mode: "free", staleScan: true } }),
    { result: "denied", reason: "stale_scan" },
  ],
  [
    "a reader that used up its guesses refuses a valid token",
    input({ state: { readerThrottledUntil: TUESDAY_NOON + 1 } }),
    { result: "denied", reason: "reader_throttled" },
  ],
  [
    "hard anti-passback: entered, enters again",
    input({ state: { lastPassage: { direction: "in", at: TUESDAY_NOON - 3_600_000 } } }),
    { result: "denied", reason: "anti_passback" },
  ],
  [
    "hard anti-passback: entered, now leaves",
    input({ direction: "out", state: { lastPassage: { direction: "in", at: TUESDAY_NOON - 60_000 } } }),
    { result: "granted" },
  ],
  [
    "soft anti-passback grants and flags",
    input({ antiPassback: "soft", state: { lastPassage: { direction: "in", at: TUESDAY_NOON - 1000 } } }),
    { result: "granted", flags: ["anti_passback_soft"] },
  ],
  [
    "timed anti-passback within the window",
    input({ antiPassback: "timed", state: { lastPassage: { direction: "in", at: TUESDAY_NOON - 299_999 } } }),
    { result: "denied", reason: "anti_passback" },
  ],
  [
    "timed anti-passback after the window",
    input({ antiPassback: "timed", state: { lastPassage: { direction: "in", at: TUESDAY_NOON - 300_000 } } }),
    { result: "granted" },
  ],
  [
    "anti-passback off",
    input({ antiPassback: "off", state: { lastPassage: { direction: "in", at: TUESDAY_NOON - 1 } } }),
    { result: "granted" },
  ],
  ...partitionCases(),
  [
    "anti-passback is checked after the rules",
    input({ now: at("2026-11-29T09:00:00Z"), state: { lastPassage: { direction: "in", at: 0 } } }),
    { result: "denied", reason: "outside_schedule" },
  ],
  ...stalenessCases(),
  [
    "relay offline: a scan that would be granted is denied",
    input({ state: { relayAvailable: false } }),
    { result: "denied", reason: "relay_offline" },
  ],
  [
    "relay offline: a scan that fails anyway keeps its own reason",
    input({ credential: credential({ status: "revoked" }), state: { relayAvailable: false } }),
    { result: "denied", reason: "revoked" },
  ],
  [
    "relay offline: free passage still grants (the fail-safe relay is held open)",
    input({ state: { mode: "free", relayAvailable: false } }),
    { result: "granted", reason: "free_passage" },
  ],
  [
    "database damaged: a valid scan is denied database_corrupt",
    input({ state: { databaseCorrupt: true } }),
    { result: "denied", reason: "database_corrupt" },
  ],
  [
    "database damaged: free passage still grants (a fire alarm opens)",
    input({ state: { mode: "free", databaseCorrupt: true } }),
    { result: "granted", reason: "free_passage" },
  ],
  [
    "database damaged: lockdown still says lockdown",
    input({ state: { mode: "lockdown", databaseCorrupt: true } }),
    { result: "denied", reason: "lockdown" },
  ],
  [
    "relay available: granted",
    input({ state: { relayAvailable: true } }),
    { result: "granted", reason: "ok" },
  ],
];

/** Visitors may pass on a 12 h old allowlist, staff and students on one up to 7 days old. */
function stalenessCases(): [string, DecisionInput, Partial<Decision>][] {
  const H = 3_600_000;
  const budgets: StalenessBudgets = { byRole: { visitor: 12 * H, staff: 168 * H, student: 168 * H } };
  const visitor = credential({ roles: ["visitor"], assurance: "confirmed" });
  return [
    [
      "stale: a visitor at 12 h exactly still passes",
      input({ credential: visitor, staleness: budgets, state: { allowlistAge: 12 * H } }),
      { result: "granted", rule: "visitors" },
    ],
    [
      "stale: a visitor 1 ms over 12 h",
      input({ credential: visitor, staleness: budgets, state: { allowlistAge: 12 * H + 1 } }),
      { result: "denied", reason: "allowlist_stale" },
    ],
    [
      "stale: a student on a 3 day old list passes",
      input({ staleness: budgets, state: { allowlistAge: 72 * H } }),
      { result: "granted" },
    ],
    [
      "stale: a student on an 8 day old list",
      input({ staleness: budgets, state: { allowlistAge: 192 * H } }),
      { result: "denied", reason: "allowlist_stale" },
    ],
    [
      "stale: a visitor who is also staff gets the longer budget",
      input({
        credential: credential({ roles: ["visitor", "staff"] }),
        staleness: budgets,
        state: { allowlistAge: 72 * H },
      }),
      { result: "granted", rule: "staff" },
    ],
    [
      "stale: a role without a budget and no default never goes stale",
      input({
        credential: credential({ roles: ["alumni"], zones: ["library"] }),
        staleness: budgets,
        state: { allowlistAge: 1000 * H },
      }),
      { result: "granted", rule: "library" },
    ],
    [
      "stale: the default budget covers roles not named",
      input({
        credential: credential({ roles: ["alumni"], zones: ["library"] }),
        staleness: { ...budgets, default: 24 * H },
        state: { allowlistAge: 25 * H },
      }),
      { result: "denied", reason: "allowlist_stale" },
    ],
    [
      "stale: a never-synced allowlist (no age) is stale for a budgeted role",
      input({ staleness: budgets }),
      { result: "denied", reason: "allowlist_stale" },
    ],
    [
      "stale: no budgets configured, any age passes",
      input({ state: { allowlistAge: 10_000 * H } }),
      { result: "granted" },
    ],
    [
      "stale: revoked is reported before staleness",
      input({
        credential: credential({ status: "revoked" }),
        staleness: budgets,
        state: { allowlistAge: 1000 * H },
      }),
      { result: "denied", reason: "revoked" },
    ],
    [
      "stale: lockdown still wins",
      input({ staleness: budgets, state: { mode: "lockdown", allowlistAge: 1000 * H } }),
      { result: "denied", reason: "lockdown" },
    ],
  ];
}

describe("decide", () => {
  it.each(cases)("%s", (_name, given, expected) => {
    expect(decide(given)).toMatchObject(expected);
  });

  it("denies with internal_error when anything on the path throws", () => {
    const broken = input();
    const throwing = new Proxy(broken.credential as Credential, {
      get(target, prop) {
        if (prop === "roles") throw new Error("corrupt row");
        return Reflect.get(target, prop);
      },
    });
    expect(decide({ ...broken, credential: throwing })).toEqual({
      result: "denied",
      reason: "internal_error",
      flags: [],
    });
  });

  it("denies with internal_error for a time zone the runtime cannot resolve", () => {
    const given = input();
    expect(decide({ ...given, gate: { ...given.gate, timezone: "Not/AZone" } })).toMatchObject({
      result: "denied",
      reason: "internal_error",
    });
  });

  it("does not read the clock: the same input gives the same decision", () => {
    const given = input({
      antiPassback: "timed",
      state: { lastPassage: { direction: "in", at: TUESDAY_NOON - 1000 } },
    });
    expect(decide(given)).toEqual(decide(given));
  });
});
