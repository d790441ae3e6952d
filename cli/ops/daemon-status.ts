import { type GateStatus, gateStatusSchema } from "../../app/http/status-schema.js";
import { parseListen } from "../../config/http-schema.js";
import type { Config } from "../../config/schema.js";

/** How long `passgate status` waits for the daemon's answer, ms: it is on the same machine. */
export const DAEMON_STATUS_TIMEOUT_MS = 2_000;

/** What the running daemon said about itself, or why it could not be asked. */
export type DaemonAnswer =
  | { readonly reachable: true; readonly url: string; readonly status: GateStatus }
  | { readonly reachable: false; readonly url: string | null; readonly reason: string };

/** `http://127.0.0.1:9464/status` for `http.listen`; null without an `http:` section. */
export function statusUrl(config: Config): string | null {
  if (config.http === undefined) return null;
  const { host, port } = parseListen(config.http.listen);
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}/status`;
}

/**
 * Asks the daemon's loopback endpoint for `GET /status` and validates the answer against
 * the agreed shape (app/http/status-schema.ts). Never throws: an unreachable daemon, a
 * timeout or a body of another shape is an answer with a reason.
 */
export async function fetchDaemonStatus(
  config: Config,
  timeoutMs = DAEMON_STATUS_TIMEOUT_MS,
): Promise<DaemonAnswer> {
  const url = statusUrl(config);
  if (url === null) return { reachable: false, url, reason: "no http: section in the config" };
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (response.status !== 200) return { reachable: false, url, reason: `HTTP ${response.status}` };
    const parsed = gateStatusSchema.safeParse(await response.json());
    if (!parsed.success)
      return { reachable: false, url, reason: "answer is not a passgate /status document" };
    return { reachable: true, url, status: parsed.data };
  } catch (err) {
    return { reachable: false, url, reason: describeFetchError(err) };
  }
}

function describeFetchError(err: unknown): string {
  if (err instanceof Error && err.name === "TimeoutError") return "no answer in time";
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === "string")
    return cause.code === "ECONNREFUSED" ? "connection refused" : cause.code;
  return err instanceof Error ? err.message : String(err);
}
