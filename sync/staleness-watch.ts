import type { AllowlistStore } from "../daemon/allowlist/allowlist-store.js";
import { allowlistAge, type StalenessBudgets } from "../daemon/decide/staleness.js";

/** Name under which the default budget (`sync.defaultStaleness`) is reported. */
export const OTHER_ROLES = "*";

/** A role whose staleness budget ran out: its credentials are now denied `allowlist_stale`. */
export interface StalenessAlarm {
  readonly role: string;
  /** ms */
  readonly budget: number;
  /** ms; Infinity when the allowlist was never synced. */
  readonly age: number;
}

/** Roles (and `*` for the default) whose budget is below `age`. Pure. */
export function exhaustedRoles(budgets: StalenessBudgets, age: number): StalenessAlarm[] {
  const out: StalenessAlarm[] = [];
  for (const [role, budget] of Object.entries(budgets.byRole))
    if (age > budget) out.push({ role, budget, age });
  if (budgets.default !== undefined && age > budgets.default)
    out.push({ role: OTHER_ROLES, budget: budgets.default, age });
  return out;
}

/**
 * Raises an alarm once when a role's budget runs out, and notes when the allowlist is
 * fresh again (after a sync). `check` is cheap (one meta read): the daemon calls it every
 * minute and after every pull.
 */
export class StalenessWatch {
  private exhausted = new Set<string>();

  constructor(
    private readonly store: AllowlistStore,
    private readonly budgets: StalenessBudgets,
    private readonly onAlarm: (alarm: StalenessAlarm) => void,
    private readonly onFresh: (roles: readonly string[]) => void,
  ) {}

  check(now: number): void {
    const age = allowlistAge(this.store.stats().syncedAt, now);
    const current = exhaustedRoles(this.budgets, age);
    const names = new Set(current.map((a) => a.role));
    for (const alarm of current) if (!this.exhausted.has(alarm.role)) this.onAlarm(alarm);
    const recovered = [...this.exhausted].filter((role) => !names.has(role));
    if (recovered.length > 0) this.onFresh(recovered);
    this.exhausted = names;
  }
}
