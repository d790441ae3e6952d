import type { FastifyInstance } from "fastify";
import { REASON_TEXTS } from "../../daemon/decide/reason-texts.js";
import type { Texts } from "../api.js";

/**
 * `GET /api/texts`: the gate's reason codes in Russian and English, from the same table the
 * turnstile displays use, so a guard reads what the person at the gate read. Public: it
 * says nothing about the site.
 */
export function registerTextRoutes(app: FastifyInstance): void {
  app.get("/api/texts", async (): Promise<Texts> => ({ reasons: REASON_TEXTS }));
}
