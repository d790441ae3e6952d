import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { openReasonSchema } from "../../daemon/mqtt/topics.js";
import type { ActionOutcome, GateActions } from "../actions/gate-actions.js";
import type { ActionResult } from "../api.js";
import type { SiteModel } from "../site/site-model.js";
import { gateIdSchema } from "../site/site-payloads.js";
import { authenticate, checkCsrf, type GuardDeps, sendError } from "./request-guards.js";

export interface ActionRouteDeps extends GuardDeps {
  readonly site: SiteModel;
  readonly actions: GateActions;
}

const openSchema = z.strictObject({ relay: gateIdSchema, reason: openReasonSchema });
const modeSchema = z.strictObject({ mode: z.enum(["normal", "lockdown", "free"]), confirm: z.literal(true) });

function firstProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue === undefined ? "invalid" : `${issue.path.join(".") || "body"}: ${issue.message}`;
}

/** Opening a lane once (guards and admins) and the gate mode (admins). */
export function registerActionRoutes(app: FastifyInstance, deps: ActionRouteDeps): void {
  const answer = (outcome: ActionOutcome, reply: FastifyReply) => {
    if (outcome.ok) return { ok: true, data: outcome.data } satisfies ActionResult;
    deps.counters.inc(`action:${outcome.error}`);
    return sendError(reply, 502, outcome.error, outcome.message);
  };

  app.post<{ Params: { gate: string } }>("/api/gates/:gate/open", async (request, reply) => {
    const auth = authenticate(deps, request, reply);
    if (auth === undefined || !checkCsrf(deps, auth, request, reply)) return reply;
    const gate = deps.site.gate(request.params.gate);
    if (gate === undefined) return sendError(reply, 404, "not_found", "no such gate on this site");
    const body = openSchema.safeParse(request.body);
    if (!body.success) {
      deps.counters.inc("bad_request:open");
      return sendError(reply, 400, "bad_request", firstProblem(body.error));
    }
    if (!(body.data.relay in gate.relays))
      return sendError(reply, 404, "not_found", "no such relay at this gate");
    return answer(
      await deps.actions.open(gate.gate, body.data.relay, body.data.reason, auth.user.username),
      reply,
    );
  });

  app.post<{ Params: { gate: string } }>("/api/gates/:gate/mode", async (request, reply) => {
    const auth = authenticate(deps, request, reply);
    if (auth === undefined || !checkCsrf(deps, auth, request, reply)) return reply;
    if (auth.user.role !== "admin") {
      deps.counters.inc("forbidden");
      return sendError(reply, 403, "forbidden", "only an admin may change a gate's mode");
    }
    const gate = deps.site.gate(request.params.gate);
    if (gate === undefined) return sendError(reply, 404, "not_found", "no such gate on this site");
    const body = modeSchema.safeParse(request.body);
    if (!body.success) {
      deps.counters.inc("bad_request:mode");
      return sendError(reply, 400, "bad_request", firstProblem(body.error));
    }
    return answer(await deps.actions.mode(gate.gate, body.data.mode, auth.user.username), reply);
  });
}
