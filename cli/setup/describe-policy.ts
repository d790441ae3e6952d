import type { Config, Direction, PolicyRule, Weekday } from "../../config/schema.js";
import { WEEKDAYS } from "../../config/schema.js";
import type { Credential } from "../../daemon/allowlist/credential.js";
import { decide } from "../../daemon/decide/decide.js";
import type { ScheduleWindow } from "../../daemon/decide/schedule.js";
import { localTime } from "../../daemon/decide/schedule.js";

/** One rule in words, as `policy show` prints it. */
export interface RuleText {
  readonly name: string;
  readonly text: string;
}

/** Whether a rule lets its holders through at one instant, and if not the gate's reason. */
export interface RuleAt {
  readonly name: string;
  readonly direction: Direction;
  readonly open: boolean;
  /** `ok`, or the reason the gate would deny a holder of this rule's roles: outside_schedule, lockdown, … */
  readonly reason: string;
}

const DAY_NAMES: Record<Weekday, string> = {
  mon: "Mon",
  tue: "Tue",
  wed: "Wed",
  thu: "Thu",
  fri: "Fri",
  sat: "Sat",
  sun: "Sun",
};

/** `Mon–Fri`, `every day`, `Mon–Wed, Sat`: runs of consecutive weekdays. */
export function describeDays(days: readonly Weekday[]): string {
  const set = new Set(days);
  if (set.size === 7) return "every day";
  const runs: string[] = [];
  let i = 0;
  while (i < WEEKDAYS.length) {
    const day = WEEKDAYS[i];
    if (day === undefined || !set.has(day)) {
      i++;
      continue;
    }
    let j = i;
    while (WEEKDAYS[j + 1] !== undefined && set.has(WEEKDAYS[j + 1] as Weekday)) j++;
    const last = WEEKDAYS[j] as Weekday;
    runs.push(j === i ? DAY_NAMES[day] : `${DAY_NAMES[day]}${j === i + 1 ? ", " : "–"}${DAY_NAMES[last]}`);
    i = j + 1;
  }
  return runs.join(", ");
}

function describeWindows(windows: readonly ScheduleWindow[]): string {
  return windows.map((w) => `${describeDays(w.days)} ${w.from}–${w.to}`).join(" and ");
}

function who(rule: PolicyRule): string {
  const parts: string[] = [];
  if (rule.roles.length > 0) parts.push(`people with role ${rule.roles.join(" or ")}`);
  if (rule.zones.length > 0) parts.push(`people granted zone ${rule.zones.join(" or ")}`);
  return parts.join(", and ");
}

function ways(directions: readonly Direction[]): string {
  return directions.includes("in") && directions.includes("out")
    ? "enter and leave"
    : directions.includes("in")
      ? "enter"
      : "leave";
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Each rule as a sentence: who, which way, when (in the gate's time zone), how sure. */
export function describeRules(config: Config): RuleText[] {
  const { policy, timezone } = config;
  return policy.rules.map((rule) => {
    let when = "at any time";
    if (rule.schedule !== undefined) {
      const windows = policy.schedules[rule.schedule] ?? [];
      when = `${describeWindows(windows)} (${timezone}, schedule ${rule.schedule})`;
      if (policy.holidays.length > 0) when += `, not on ${policy.holidays.join(", ")}`;
    }
    const assurance =
      rule.minAssurance === undefined ? "" : `, with at least ${rule.minAssurance} identity assurance`;
    return {
      name: rule.name,
      text: `${capitalise(who(rule))} may ${ways(rule.directions)} ${when}${assurance}.`,
    };
  });
}

/** The gate-wide lines: mode, order of rules, anti-passback, lockout, guess limit. */
export function describeGatePolicy(config: Config): string[] {
  const { policy } = config;
  const minutes = (ms: number) =>
    ms % 3_600_000 === 0
      ? `${ms / 3_600_000} h`
      : ms % 60_000 === 0
        ? `${ms / 60_000} min`
        : `${ms / 1000} s`;
  const mode = {
    normal: "normal: the rules below apply",
    lockdown: "lockdown: nobody passes, whatever the rules say",
    free: "free: everybody passes (free passage), whatever the rules say",
  }[policy.mode];
  const apb = policy.antiPassback;
  const antiPassback = {
    off: "off",
    hard: `hard: a second entry (or exit) in a row in zone ${policy.zone} is denied`,
    soft: `soft: a second entry (or exit) in a row in zone ${policy.zone} is let through and flagged in the journal`,
    timed: `timed: the same direction again in zone ${policy.zone} within ${minutes(apb.window)} is denied`,
  }[apb.mode];
  const { attempts, within, lockFor } = policy.lockout;
  const guesses = policy.guessLimit;
  return [
    `Gate ${config.gate} of ${config.site} guards zone ${policy.zone}; time zone ${config.timezone}.`,
    `Start mode ${mode} (passgate mode shows the mode in force).`,
    policy.rules.length === 0
      ? "No rules: nobody passes in normal mode."
      : "Rules are checked in order; the first that admits a pass lets it through. Anyone no rule admits is denied.",
    `Anti-passback: ${antiPassback}.`,
    attempts === 0
      ? "Lockout: off."
      : `Lockout: ${attempts} bad codes for one pass within ${minutes(within)} block it at that reader for ${minutes(lockFor)}.`,
    guesses.burst === 0
      ? "Guess limit: off."
      : `Guess limit: a reader takes ${guesses.burst} bad codes, then one more every ${minutes(guesses.every)}; with none left it refuses every scan and raises an alarm.`,
  ];
}

/**
 * Which rules admit their holders at `at` (epoch ms), asked of the gate's own `decide()`
 * one rule at a time with a credential that has exactly that rule's roles and zones and
 * the highest assurance, a valid code and the config's start mode, so the answer is the
 * gate's, schedules, holidays and time zone included.
 */
export function rulesAt(config: Config, at: number): RuleAt[] {
  const out: RuleAt[] = [];
  for (const rule of config.policy.rules) {
    const credential: Credential = {
      id: "policy-show",
      person: "policy-show",
      roles: [...rule.roles],
      zones: [...rule.zones],
      status: "active",
      assurance: "confirmed",
      guardians: [],
      notifyGuardians: false,
      scheme: "totp",
      totp: { secret: "AAAAAAAA", algorithm: "SHA1", digits: 8, period: 30 },
    };
    for (const direction of rule.directions) {
      const decision = decide({
        verification: { ok: true, step: 0, period: 30 },
        credential,
        gate: { direction, timezone: config.timezone, policy: { ...config.policy, rules: [rule] } },
        state: { mode: config.policy.mode, replayed: false },
        now: at,
      });
      out.push({ name: rule.name, direction, open: decision.result === "granted", reason: decision.reason });
    }
  }
  return out;
}

/** The instant's local date, weekday and time in the gate's zone, for the `--at` heading. */
export function localHeading(config: Config, at: number): string {
  const local = localTime(at, config.timezone);
  const holiday = config.policy.holidays.includes(local.date) ? ", a holiday" : "";
  return `${new Date(at).toISOString()} is ${DAY_NAMES[local.weekday]} ${local.date} ${local.time} in ${config.timezone}${holiday}`;
}
