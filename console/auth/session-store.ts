import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Clock } from "../../platform/clock.js";

/** A session ends after this long without a request (a guard's shift), ms. */
export const SESSION_IDLE_MS = 8 * 60 * 60_000;
/** …and in any case this long after the login, ms. */
export const SESSION_ABSOLUTE_MS = 12 * 60 * 60_000;
/** Sessions kept at once; the oldest goes first (each login adds one). */
const MAX_SESSIONS = 10_000;

export interface Session {
  readonly username: string;
  /** Sent back by the page in `x-csrf-token`. */
  readonly csrf: string;
  readonly createdAt: number;
  lastSeen: number;
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Server-side sessions, in memory: a restart logs everyone out, which is the safe way round.
 * Only the SHA-256 of a session id is kept as the key, so a dump of the process's memory
 * lists no usable cookie; the id itself (32 random bytes) lives only in the browser's
 * HttpOnly cookie.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly clock: Clock) {}

  /** A new session for `username`; returns the id for the cookie (never stored) and the session. */
  create(username: string): { id: string; session: Session } {
    const id = randomBytes(32).toString("base64url");
    const now = this.clock.now();
    const session: Session = {
      username,
      csrf: randomBytes(32).toString("base64url"),
      createdAt: now,
      lastSeen: now,
    };
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next();
      if (!oldest.done) this.sessions.delete(oldest.value);
    }
    this.sessions.set(digest(id), session);
    return { id, session };
  }

  /** The live session of a cookie's id (refreshing its idle time), or undefined when none or expired. */
  touch(id: string | undefined): Session | undefined {
    if (id === undefined || id.length === 0 || id.length > 64) return undefined;
    const key = digest(id);
    const session = this.sessions.get(key);
    if (session === undefined) return undefined;
    const now = this.clock.now();
    if (now - session.lastSeen > SESSION_IDLE_MS || now - session.createdAt > SESSION_ABSOLUTE_MS) {
      this.sessions.delete(key);
      return undefined;
    }
    session.lastSeen = now;
    return session;
  }

  /** Like `touch`, without counting as activity: whether a live page's session still holds. */
  peek(id: string | undefined): Session | undefined {
    if (id === undefined || id.length === 0 || id.length > 64) return undefined;
    const session = this.sessions.get(digest(id));
    if (session === undefined) return undefined;
    const now = this.clock.now();
    return now - session.lastSeen > SESSION_IDLE_MS || now - session.createdAt > SESSION_ABSOLUTE_MS
      ? undefined
      : session;
  }

  end(id: string | undefined): void {
    if (id !== undefined) this.sessions.delete(digest(id));
  }

  /** Ends every session of a user (removed, or a new password). */
  endAllOf(username: string): void {
    for (const [key, s] of this.sessions) if (s.username === username) this.sessions.delete(key);
  }
}

/** Whether `given` is the session's CSRF token, compared in constant time (digests of equal length). */
export function csrfMatches(session: Session, given: string | undefined): boolean {
  if (given === undefined || given.length > 128) return false;
  const a = createHash("sha256").update(session.csrf).digest();
  const b = createHash("sha256").update(given).digest();
  return timingSafeEqual(a, b);
}
