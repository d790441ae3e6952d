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
  register(app);
  return app;
}

export { type AuthRouteDeps, registerAuthRoutes };
