/** How one doctor check came out. */
export type CheckStatus = "ok" | "warn" | "fail";

/** One finding of `passgate doctor`: what was checked, what was found and how to fix it. */
export interface CheckResult {
  /** Short stable id, e.g. `disk`, `reader:in`, `broker`. */
  readonly id: string;
  readonly status: CheckStatus;
  /** One line: what was found. */
  readonly finding: string;
  /** One line: what to do; absent when there is nothing to do. */
  readonly fix?: string | undefined;
}

export const ok = (id: string, finding: string): CheckResult => ({ id, status: "ok", finding });
export const warn = (id: string, finding: string, fix: string): CheckResult => ({
  id,
  status: "warn",
  finding,
  fix,
});
export const fail = (id: string, finding: string, fix: string): CheckResult => ({
  id,
  status: "fail",
  finding,
  fix,
});

/** The text of an error, for a finding line. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
