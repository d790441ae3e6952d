import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

/**
 * `GET url` over node:http(s), under `signal`: resolves with the response once its headers
 * are in, its body unread and exactly as sent (no decompression); rejects on a network
 * error or when `signal` aborts first. An abort after the headers destroys the response
 * with the signal's reason, so whoever reads the body meets that reason (the timeout), not
 * a bare "aborted". Redirects are answers like any other: nothing is followed.
 *
 * Why not fetch, as the roster and events use: fetch inflates a gzip, deflate or brotli
 * body itself, of any size, and never shows the bytes received, so an allowlist body could
 * be neither bounded by its expansion ratio nor measured on the wire (sync/body-decoding.ts).
 */
export async function httpGet(
  url: string,
  headers: Readonly<Record<string, string>>,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  try {
    return await getOnce(url, headers, signal);
  } catch (err) {
    // A kept-alive connection the registry closed just as it was reused (Node's documented
    // case for `request.reusedSocket`): the GET never reached it, so it is sent once more,
    // on a connection of its own, rather than failing the pull and waiting out a backoff.
    if (!(err instanceof StaleConnectionError)) throw err;
    return getOnce(url, headers, signal, false);
  }
}

/** The request went out on a reused keep-alive connection that was reset before any answer. */
class StaleConnectionError extends Error {}

function getOnce(
  url: string,
  headers: Readonly<Record<string, string>>,
  signal: AbortSignal,
  keepAlive = true,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(reasonOf(signal));
      return;
    }
    const target = new URL(url);
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    let response: IncomingMessage | undefined;
    const onAbort = () => {
      const reason = reasonOf(signal);
      if (response === undefined) req.destroy(reason);
      else response.destroy(reason);
    };
    const options = { method: "GET", headers: { ...headers }, ...(keepAlive ? {} : { agent: false }) };
    const req = send(target, options, (res) => {
      response = res;
      res.once("close", () => signal.removeEventListener("abort", onAbort));
      resolve(res);
    });
    signal.addEventListener("abort", onAbort, { once: true });
    // Before the answer: the request failed. After it, the response carries the error to its
    // reader and this rejection of a settled promise changes nothing.
    req.on("error", (err: NodeJS.ErrnoException) => {
      if (response !== undefined) return;
      signal.removeEventListener("abort", onAbort);
      const reset = err.code === "ECONNRESET" || err.code === "EPIPE";
      const stale = req.reusedSocket && reset && !signal.aborted;
      reject(stale ? new StaleConnectionError(err.message, { cause: err }) : err);
    });
    req.end();
  });
}

function reasonOf(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(String(reason ?? "aborted"));
}
