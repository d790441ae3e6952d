import { fileURLToPath } from "node:url";
import fastifyCookie from "@fastify/cookie";
import fastifyHelmet from "@fastify/helmet";
import fastifyRateLimit from "@fastify/rate-limit";
import fastifyStatic from "@fastify/static";
import Fastify, { type FastifyInstance } from "fastify";
import { type AuthRouteDeps, registerAuthRoutes } from "./auth-routes.js";

/** Largest request body the console reads: a login or an action is a few hundred bytes. */
const BODY_LIMIT_BYTES = 16 * 1024;

/** The page's files: `console/web` beside this module's folder, in the sources and in dist/ (the build copies it). */
export const WEB_ROOT = fileURLToPath(new URL("../web/", import.meta.url));

export interface ServerOptions {
  readonly https?: { readonly cert: Buffer; readonly key: Buffer };
  /** Requests one address may make per minute, pages and API together; more are answered 429. */
  readonly requestsPerMinute: number;
  /** Called for each request refused by that limit. */
  readonly onLimited?: () => void;
  /** Called with an unexpected error of a route, for the log. */
  readonly onServerError?: (error: unknown, url: string) => void;
}

/**
 * The console's fastify server with its security headers: a CSP of `default-src 'self'` with
 * no inline script or style anywhere (the page is one ES module and one stylesheet), no
 * framing, no referrer, nosniff, and HSTS only under TLS.
 */
export async function buildConsoleServer(
  options: ServerOptions,
  register: (app: FastifyInstance) => void,
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Live pages hold their event streams open: a stop closes them instead of waiting.
    forceCloseConnections: true,
    ...(options.https && { https: options.https }),
  }) as unknown as FastifyInstance;
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    referrerPolicy: { policy: "no-referrer" },
    frameguard: { action: "deny" },
    hsts: options.https !== undefined,
    crossOriginEmbedderPolicy: false,
  });
  // A flood of requests from one address is cut off before any route runs; failed logins
  // have their own, stricter count (auth/login-limiter.ts).
  await app.register(fastifyRateLimit, {
    global: true,
    max: options.requestsPerMinute,
    timeWindow: 60_000,
    cache: 10_000,
    ...(options.onLimited && { onExceeded: options.onLimited }),
    errorResponseBuilder: (_request, context) => ({
      statusCode: context.statusCode,
      error: "rate_limited",
      message: `more than ${context.max} requests a minute from this address: wait ${context.after}`,
    }),
  });
  await app.register(fastifyCookie);
  await app.register(fastifyStatic, { root: WEB_ROOT, prefix: "/", index: "index.html", wildcard: false });
  // No API answer may be cached: it is about people and changes by the second.
  app.addHook("onSend", async (request, reply) => {
    if (request.url.startsWith("/api/")) reply.header("cache-control", "no-store");
  });
  // Every error answer has the API's shape (console/api.ts), also fastify's own (a body
  // that is not JSON, too large, a rate limit); an unexpected one is logged, its text is not sent.
  app.setErrorHandler((error: { statusCode?: number; message?: string; error?: string }, request, reply) => {
    const status = typeof error.statusCode === "number" && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) {
      options.onServerError?.(error, request.url);
      return reply
        .code(500)
        .send({ error: "internal", message: "the console failed on this request: see its log" });
    }
    const code = status === 429 ? "rate_limited" : status === 413 ? "too_large" : "bad_request";
    return reply.code(status).send({ error: code, message: String(error.message ?? code).slice(0, 200) });
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ error: "not_found", message: "no such page" }),
  );
  register(app);
  return app;
}

export { type AuthRouteDeps, registerAuthRoutes };
