/** Retry delays after network errors, 429 and 5xx. Times in ms. */
export interface BackoffPolicy {
  readonly initial: number;
  readonly max: number;
}

/**
 * The delay before retry number `failures` (1 = first retry): exponential from `initial`,
 * capped at `max`, with "equal jitter" (half fixed, half random) so gates that lost the
 * registry together do not come back in one burst, yet never retry at once. A registry's
 * Retry-After is a floor. `random` is in [0, 1) (Math.random in the daemon, fixed in tests).
 */
export function backoffDelay(
  policy: BackoffPolicy,
  failures: number,
  random: number,
  retryAfterMs?: number,
): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const ceiling = Math.min(policy.max, policy.initial * 2 ** exponent);
  const delay = Math.round(ceiling / 2 + random * (ceiling / 2));
  return Math.max(delay, retryAfterMs ?? 0);
}
