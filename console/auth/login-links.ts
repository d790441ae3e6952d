import { createHash, randomBytes } from "node:crypto";
import type { Clock } from "../../platform/clock.js";

/** A login link works once, within this long, ms. */
export const LOGIN_LINK_MS = 10 * 60_000;
const MAX_LINKS = 1_000;

/**
 * One-time login codes for the demo and for handing a desk its first session: the code is
 * 32 random bytes, kept only as its SHA-256, consumed by its first use.
 */
export class LoginLinks {
  private readonly codes = new Map<string, { username: string; until: number }>();

  constructor(private readonly clock: Clock) {}

  issue(username: string): string {
    const code = randomBytes(32).toString("base64url");
    if (this.codes.size >= MAX_LINKS) {
      const oldest = this.codes.keys().next();
      if (!oldest.done) this.codes.delete(oldest.value);
    }
    this.codes.set(hash(code), { username, until: this.clock.now() + LOGIN_LINK_MS });
    return code;
  }

  /** The username a code was issued for, once; undefined when unknown, used or expired. */
  redeem(code: string): string | undefined {
    if (code.length > 64) return undefined;
    const key = hash(code);
    const entry = this.codes.get(key);
    this.codes.delete(key);
    return entry !== undefined && this.clock.now() <= entry.until ? entry.username : undefined;
  }
}

function hash(code: string): string {
  return createHash("sha256").update(code).digest("hex");
}
