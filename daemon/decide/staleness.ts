import type { Config } from "../../config/schema.js";

/**
 * How old the allowlist may grow (time since the last verified sync) before credentials
 * of a role stop passing: `sync.staleness` and `sync.defaultStaleness` in config. Times in ms.
 */
export interface StalenessBudgets {
  readonly byRole: Readonly<Record<string, number>>;
  /** Budget of roles not in `byRole`; undefined: they never go stale. */
  readonly default?: number | undefined;
}

/**
 * The budget of a credential with `roles`: the longest of its roles' budgets (a person who
 * is staff and visitor passes as staff), Infinity when any of its roles has no limit.
 */
export function stalenessBudget(roles: readonly string[], budgets: StalenessBudgets): number {
  const fallback = budgets.default ?? Number.POSITIVE_INFINITY;
  if (roles.length === 0) return fallback;
  let longest = 0;
  for (const role of roles) {
    const budget = Object.hasOwn(budgets.byRole, role) ? (budgets.byRole[role] ?? fallback) : fallback;
    if (budget > longest) longest = budget;
  }
  return longest;
}

/** Allowlist age in ms at `now`; Infinity when it was never synced (`syncedAt` null). */
export function allowlistAge(syncedAt: number | null, now: number): number {
  return syncedAt === null ? Number.POSITIVE_INFINITY : Math.max(0, now - syncedAt);
}

/** `sync.staleness` / `sync.defaultStaleness` as the decision core takes them; undefined when none are set. */
export function stalenessBudgets(config: Pick<Config, "sync">): StalenessBudgets | undefined {
  const { staleness, defaultStaleness } = config.sync;
  if (Object.keys(staleness).length === 0 && defaultStaleness === undefined) return undefined;
  return { byRole: staleness, default: defaultStaleness };
}
