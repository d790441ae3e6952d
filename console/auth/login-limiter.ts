import type { Clock } from "../../platform/clock.js";

/** Failed logins allowed per IP address and per username within `LOGIN_WINDOW_MS`. */
export const LOGIN_FAILURES_ALLOWED = 5;
export const LOGIN_WINDOW_MS = 5 * 60_000;
/** Keys remembered at once: a flood of names cannot grow the map without bound. */
const MAX_KEYS = 50_000;

/**
 * Counts failed logins per IP and per username and refuses further tries once either has
 * `LOGIN_FAILURES_ALLOWED` failures in the window. Hand-written rather than
 * @fastify/rate-limit: that plugin counts every request of a route, while the console must
 * count only failures, and by two keys at once (the IP and the username tried).
 */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly clock: Clock) {}

  /** Milliseconds until `ip` or `username` may try again, or 0 when they may now. */
  retryAfter(ip: string, username: string): number {
    const now = this.clock.now();
    return Math.max(this.wait(`ip:${ip}`, now), this.wait(`user:${username}`, now));
  }

  fail(ip: string, username: string): void {
    const now = this.clock.now();
    for (const key of [`ip:${ip}`, `user:${username}`]) {
      const times = this.recent(key, now);
      times.push(now);
      if (!this.failures.has(key) && this.failures.size >= MAX_KEYS) {
        const oldest = this.failures.keys().next();
        if (!oldest.done) this.failures.delete(oldest.value);
      }
      this.failures.set(key, times);
    }
  }

  /** A successful login clears its username's failures (not the IP's: one right password must not reset a spray). */
  succeed(username: string): void {
    this.failures.delete(`user:${username}`);
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => now - t < LOGIN_WINDOW_MS);
  }

  private wait(key: string, now: number): number {
    const times = this.recent(key, now);
    if (times.length < LOGIN_FAILURES_ALLOWED) return 0;
    const first = times[times.length - LOGIN_FAILURES_ALLOWED] ?? now;
    return Math.max(1, first + LOGIN_WINDOW_MS - now);
  }
}
