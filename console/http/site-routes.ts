import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Clock } from "../../platform/clock.js";
import type { SearchResult } from "../api.js";
import { startOfDay } from "../site/site-day.js";
import type { SiteModel } from "../site/site-model.js";
import type { DecisionStore } from "../store/decision-store.js";
import { registerEventStream } from "./event-stream.js";
import { authenticate, checkCsrf, type GuardDeps, sendError } from "./request-guards.js";

export interface SiteRouteDeps extends GuardDeps {
  readonly site: SiteModel;
  readonly decisions: DecisionStore;
  readonly clock: Clock;
  readonly timeZone: string;
}

const searchSchema = z.strictObject({ q: z.string().trim().min(1).max(64) });
const alarmIdSchema = z.string().uuid();

/** The site's snapshot, its live events, the person search and acknowledging alarms. */
export function registerSiteRoutes(app: FastifyInstance, deps: SiteRouteDeps): void {
  app.get("/api/site", async (request, reply) => {
    if (authenticate(deps, request, reply) === undefined) return reply;
    return deps.site.snapshot();
  });

  registerEventStream(app, deps);

  app.get("/api/search", async (request, reply) => {
    if (authenticate(deps, request, reply) === undefined) return reply;
    const query = searchSchema.safeParse(request.query);
    if (!query.success) {
      deps.counters.inc("bad_request:search");
      return sendError(
        reply,
        400,
        "bad_request",
        "q: expected 1–64 characters (a person id, a credential id or part of a name)",
      );
    }
    const since = startOfDay(deps.clock.now(), deps.timeZone);
    const result: SearchResult = {
      query: query.data.q,
      decisions: deps.decisions.search(query.data.q, since),
    };
    return result;
  });

  app.post<{ Params: { id: string } }>("/api/alarms/:id/ack", async (request, reply) => {
    const auth = authenticate(deps, request, reply);
    if (auth === undefined || !checkCsrf(deps, auth, request, reply)) return reply;
    const id = alarmIdSchema.safeParse(request.params.id);
    if (!id.success) return sendError(reply, 404, "not_found", "no such alarm");
    const acked = deps.site.acknowledge(id.data, auth.user.username);
    if (acked === undefined)
      return sendError(reply, 404, "not_found", "no such alarm, or it was acknowledged already");
    return { ok: true };
  });
}
