/** When a failed delivery is tried again (docs/notices.md: retries). */
export interface RetrySettings {
  /** The wait after the first failure, ms; it doubles after each next one. */
  readonly firstMs: number;
  /** No wait is longer than this, ms. */
  readonly maxMs: number;
  /** No attempt is made later than this after the delivery was queued, ms: it is given up. */
  readonly giveUpAfterMs: number;
}

/**
 * The epoch ms of the next attempt after `attempts` failed ones (1 after the first), or
 * undefined when the delivery is to be given up. Exponential backoff with "equal jitter":
 * half the wait is fixed and half random, so many deliveries that failed together (the
 * mail server was down for the morning rush) do not all come back at the same instant.
 * `random` is in [0, 1); tests pass their own.
 */
export function nextAttemptAt(
  settings: RetrySettings,
  attempts: number,
  createdAt: number,
  now: number,
  random: () => number = Math.random,
): number | undefined {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  const wait = Math.min(settings.maxMs, settings.firstMs * 2 ** exponent);
  const at = now + Math.round(wait / 2 + (random() * wait) / 2);
  return at - createdAt > settings.giveUpAfterMs ? undefined : at;
}
