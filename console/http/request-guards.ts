import type { FastifyReply, FastifyRequest } from "fastify";
import { csrfMatches, type Session, type SessionStore } from "../auth/session-store.js";
import type { ConsoleUser, UserStore } from "../auth/user-store.js";
import type { ConsoleCounters } from "../console-counters.js";

export const SESSION_COOKIE = "passgate_console";

/** Sends the API's error shape (console/api.ts). */
export function sendError(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).send({ error, message });
}

/** What the session guards need. */
export interface GuardDeps {
  readonly sessions: SessionStore;
  readonly users: UserStore;
  readonly counters: ConsoleCounters;
}

export interface Authenticated {
  readonly session: Session;
  readonly user: ConsoleUser;
}

/**
 * The request's session and its user, or undefined after answering 401. The user is read
 * again on every request, so a user removed or demoted loses the access at once, and a
 * session begun before the user's password was last set is over (`console user passwd`
 * runs in another process: the database is what both see).
 */
export function authenticate(
  deps: GuardDeps,
  request: FastifyRequest,
  reply: FastifyReply,
): Authenticated | undefined {
  const id = request.cookies[SESSION_COOKIE];
  const session = deps.sessions.touch(id);
  const user = session === undefined ? undefined : deps.users.get(session.username);
  if (session === undefined || user === undefined || session.createdAt < user.passwordSetAt) {
    sendError(reply, 401, "not_logged_in", "log in first (or again: the session ended)");
    return undefined;
  }
  return { session, user };
}

/**
 * A cross-site request is refused before anything else: a browser names where a request
 * comes from in `Sec-Fetch-Site` and `Origin`; either present and not this site is a
 * forgery attempt (or a page of another site), answered 403 `csrf`.
 */
export function sameOrigin(request: FastifyRequest): boolean {
  const site = request.headers["sec-fetch-site"];
  if (typeof site === "string" && site !== "same-origin" && site !== "none") return false;
  const origin = request.headers.origin;
  if (typeof origin === "string") {
    const host = request.headers.host;
    if (host === undefined) return false;
    return origin === `${request.protocol}://${host}`;
  }
  return true;
}

/** A state-changing request of a session: same origin and the session's CSRF token, else 403. */
export function checkCsrf(
  deps: GuardDeps,
  auth: Authenticated,
  request: FastifyRequest,
  reply: FastifyReply,
): boolean {
  const header = request.headers["x-csrf-token"];
  if (!sameOrigin(request) || !csrfMatches(auth.session, typeof header === "string" ? header : undefined)) {
    deps.counters.inc("csrf_refused");
    sendError(reply, 403, "csrf", "the request did not carry this session's token: reload the page");
    return false;
  }
  return true;
}
