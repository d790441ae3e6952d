import type { FastifyInstance } from "fastify";
import type { LiveEvent } from "../api.js";
import type { SiteModel } from "../site/site-model.js";
import { authenticate, type GuardDeps, SESSION_COOKIE } from "./request-guards.js";

/** Live pages at once; more are answered 503 (a site has a handful of desks). */
const MAX_STREAMS = 100;
/** A comment line this often keeps proxies from closing a quiet stream, and ends one whose session ended, ms. */
const HEARTBEAT_MS = 15_000;
/** A page that reads slower than this much queued output is dropped; it reconnects and gets a snapshot. */
const MAX_QUEUED_BYTES = 1024 * 1024;

/**
 * `GET /api/events`: server-sent events. The first event (`snapshot`) is the whole site, so
 * a page that (re)connects starts from the truth; then one `message` per `LiveEvent`.
 * Server-sent events rather than WebSockets: the flow is one way, the browser's
 * EventSource reconnects by itself, and it is plain HTTP through any proxy.
 */
export function registerEventStream(
  app: FastifyInstance,
  deps: GuardDeps & { readonly site: SiteModel },
): void {
  let streams = 0;
  app.get("/api/events", async (request, reply) => {
    if (authenticate(deps, request, reply) === undefined) return reply;
    if (streams >= MAX_STREAMS) {
      deps.counters.inc("events_refused");
      return reply
        .code(503)
        .header("retry-after", "10")
        .send({ error: "busy", message: "too many live pages" });
    }
    const cookie = request.cookies[SESSION_COOKIE];
    streams++;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      connection: "keep-alive",
    });
    const send = (name: string, data: unknown) => {
      if (res.writableLength > MAX_QUEUED_BYTES) {
        deps.counters.inc("events_slow_client");
        res.destroy();
        return;
      }
      res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    res.write("retry: 2000\n\n");
    send("snapshot", deps.site.snapshot());
    const unsubscribe = deps.site.onEvent((event: LiveEvent) => send("live", event));
    const heartbeat = setInterval(() => {
      if (deps.sessions.peek(cookie) === undefined) res.end();
      else res.write(": keep-alive\n\n");
    }, HEARTBEAT_MS);
    heartbeat.unref();
    res.on("close", () => {
      streams--;
      clearInterval(heartbeat);
      unsubscribe();
    });
  });
}
