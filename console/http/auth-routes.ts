import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { Logger } from "../../platform/log/logger.js";
import type { Me } from "../api.js";
import type { LoginLimiter } from "../auth/login-limiter.js";
import type { LoginLinks } from "../auth/login-links.js";
import { MAX_PASSWORD_LENGTH } from "../auth/passwords.js";
import { SESSION_ABSOLUTE_MS } from "../auth/session-store.js";
import type { ConsoleUser } from "../auth/user-store.js";
import {
  authenticate,
  checkCsrf,
  type GuardDeps,
  SESSION_COOKIE,
  sameOrigin,
  sendError,
} from "./request-guards.js";

export interface AuthRouteDeps extends GuardDeps {
  readonly limiter: LoginLimiter;
  readonly links: LoginLinks;
  readonly logger: Logger;
  readonly site: string;
  readonly timeZone: string;
  /** Whether the console serves HTTPS: the cookie is then `Secure`. */
  readonly secure: boolean;
}

const loginSchema = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
});
const linkSchema = z.strictObject({ code: z.string().min(1).max(64) });

/** The same words for an unknown user and a wrong password: the answer must not tell which. */
const BAD_LOGIN = "wrong username or password";

/** Login (password or one-time link), logout and `/api/me`. */
export function registerAuthRoutes(app: FastifyInstance, deps: AuthRouteDeps): void {
  const me = (user: ConsoleUser, csrf: string): Me => ({
    username: user.username,
    role: user.role,
    csrf,
    site: deps.site,
    timeZone: deps.timeZone,
  });

  const startSession = (reply: FastifyReply, user: ConsoleUser): Me => {
    const { id, session } = deps.sessions.create(user.username);
    reply.setCookie(SESSION_COOKIE, id, {
      httpOnly: true,
      sameSite: "strict",
      path: "/",
      secure: deps.secure,
      maxAge: Math.floor(SESSION_ABSOLUTE_MS / 1000),
    });
    return me(user, session.csrf);
  };

  app.post("/api/login", async (request, reply) => {
    if (!sameOrigin(request)) {
      deps.counters.inc("csrf_refused");
      return sendError(reply, 403, "csrf", "a login from another site's page is refused");
    }
    const body = loginSchema.safeParse(request.body);
    if (!body.success) {
      deps.counters.inc("login_bad_request");
      return sendError(reply, 400, "bad_request", "expected {username, password}");
    }
    const { username, password } = body.data;
    const wait = deps.limiter.retryAfter(request.ip, username);
    if (wait > 0) {
      deps.counters.inc("login_rate_limited");
      reply.header("retry-after", String(Math.ceil(wait / 1000)));
      return sendError(reply, 429, "rate_limited", "too many failed logins: wait and try again");
    }
    const user = await deps.users.check(username, password);
    if (user === undefined) {
      deps.limiter.fail(request.ip, username);
      deps.counters.inc("login_failed");
      deps.logger.warn({ ip: request.ip }, "console login failed");
      return sendError(reply, 401, "bad_login", BAD_LOGIN);
    }
    deps.limiter.succeed(username);
    deps.logger.info({ user: user.username, ip: request.ip }, "console login");
    return startSession(reply, user);
  });

  app.post("/api/login/link", async (request, reply) => {
    if (!sameOrigin(request)) {
      deps.counters.inc("csrf_refused");
      return sendError(reply, 403, "csrf", "a login from another site's page is refused");
    }
    const body = linkSchema.safeParse(request.body);
    const username = body.success ? deps.links.redeem(body.data.code) : undefined;
    const user = username === undefined ? undefined : deps.users.get(username);
    if (user === undefined) {
      deps.counters.inc("login_link_refused");
      return sendError(reply, 401, "bad_login", "this login link is unknown, used or expired");
    }
    deps.logger.info({ user: user.username, ip: request.ip }, "console login by link");
    return startSession(reply, user);
  });

  app.post("/api/logout", async (request, reply) => {
    const auth = authenticate(deps, request, reply);
    if (auth === undefined || !checkCsrf(deps, auth, request, reply)) return reply;
    deps.sessions.end(request.cookies[SESSION_COOKIE]);
    reply.clearCookie(SESSION_COOKIE, { path: "/" });
    return { ok: true };
  });

  app.get("/api/me", async (request, reply) => {
    const auth = authenticate(deps, request, reply);
    if (auth === undefined) return reply;
    return me(auth.user, auth.session.csrf);
  });
}
