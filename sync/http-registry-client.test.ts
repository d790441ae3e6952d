import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import { putLines, signedBody } from "../daemon/allowlist/testing/test-bodies.js";
import { GateDb, GOOD_TOKEN, pullingSync, SITE, seedV1 } from "../test/fixtures/sync-fixture.js";
import { HttpRegistryClient } from "./http-registry-client.js";
import { TestHttpServers } from "./testing/test-http-servers.js";

/**
 * The hostile registries of issue 14: a body that trickles in slower than the timeout allows,
 * headers that never come, and a redirect to another origin. Each against a real HTTP server.
 */

// A garbage collection while the body trickles: in Node 20 it dropped a timeout signal that
// only a combined AbortSignal referred to, and the timeout then never fired.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const TIMEOUT_MS = 500;
const servers = new TestHttpServers();
const gates: GateDb[] = [];

afterEach(async () => {
  for (const gate of gates.splice(0)) gate.close();
  await servers.close();
});

/** Sends `text` at `bytesPerSecond`, 100 bytes at a time, forcing a GC with every piece. */
function trickle(res: ServerResponse, text: string, bytesPerSecond: number): void {
  res.writeHead(200, { "content-type": "application/x-ndjson" });
  const piece = 100;
  let at = 0;
  const timer = setInterval(
    () => {
      gc();
      res.write(text.slice(at, at + piece));
      at += piece;
      if (at >= text.length) {
        clearInterval(timer);
        res.end();
      }
    },
    (1000 * piece) / bytesPerSecond,
  );
  res.on("close", () => clearInterval(timer));
}

/** One journaled denial, as the uploader sends it. */
const EVENT = {
  id: "e1",
  gate: "g",
  reader: "r",
  at: new Date(0).toISOString(),
  credential: null,
  person: null,
  result: "denied",
  reason: "unknown_credential",
  passed: false,
} as const;

function client(url: string): HttpRegistryClient {
  return new HttpRegistryClient({ url, site: SITE, token: GOOD_TOKEN, timeoutMs: TIMEOUT_MS });
}

describe("HttpRegistryClient: sync.requestTimeout bounds the whole request", () => {
  it("abandons a valid body trickling at 1 KB/s at the timeout; the allowlist in force stays whole", async () => {
    const gate = new GateDb();
    gates.push(gate);
    await seedV1(gate);
    const before = gate.dump();

    // About 4 KB: whole after ~4 s at 1 KB/s, eight times the timeout. Valid and signed, so
    // only the timeout can stop it.
    const v2 = signedBody({ to: 2 }, putLines(1, 40));
    expect(v2.length).toBeGreaterThan(3000);
    const registry = await servers.serve((_req, res) => trickle(res, v2, 1000));
    const sync = pullingSync(gate, registry.url, client(registry.url));

    const started = Date.now();
    const outcome = await sync.pullOnce();
    const took = Date.now() - started;

    expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(took).toBeLessThan(TIMEOUT_MS + 1500);
    expect(outcome.kind).toBe("refused");
    if (outcome.kind === "refused") {
      expect(outcome.reason).toBe("read_error");
      expect(outcome.message).toContain("sync.requestTimeout (500 ms)");
    }
    // The registry saw the request end at the deadline, not after the whole body.
    expect(await registry.closed).toBeLessThan(TIMEOUT_MS + 1500);
    expect(gate.dump()).toBe(before);
    expect(gate.store.stats()).toMatchObject({ version: 1, count: 3 });
    expect(gate.state.get()).toMatchObject({ failures: 1, lastErrorCode: "read_error" });
    expect(gate.state.get().lastError).toContain("sync.requestTimeout");
  });

  it("gives up on headers that never come, with the reason, as a failure to retry", async () => {
    const registry = await servers.serve(() => {
      // Never answers: the request hangs until the client gives up.
    });
    const started = Date.now();
    const answer = await client(registry.url).fetchAllowlist(null);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1500);
    expect(answer).toMatchObject({ kind: "retry", status: null });
    if (answer.kind === "retry") expect(answer.message).toContain("sync.requestTimeout");
  });

  it("bounds an event upload whose answer trickles, and the roster", async () => {
    const registry = await servers.serve((req, res) => {
      if (req.url?.endsWith("/events")) {
        req.resume();
        trickle(res, `{"accepted":1}${" ".repeat(4000)}`, 1000);
      } else trickle(res, "x".repeat(4000), 1000);
    });
    const c = client(registry.url);
    const started = Date.now();
    const [posted, roster] = await Promise.all([c.postEvents([EVENT]), c.fetchRoster(null)]);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1500);
    expect(posted).toMatchObject({ kind: "retry" });
    expect(roster).toMatchObject({ kind: "retry" });
    if (posted.kind === "retry") expect(posted.message).toContain("sync.requestTimeout");
  });

  it("a quick answer read at once is whole, and its deadline ends with it", async () => {
    const body = signedBody({ to: 1 }, putLines(1, 2));
    const registry = await servers.serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.end(body);
    });
    const answer = await client(registry.url).fetchAllowlist(null);
    expect(answer.kind).toBe("body");
    if (answer.kind !== "body") return;
    const parts: Buffer[] = [];
    for await (const chunk of answer.body) parts.push(Buffer.from(chunk as Uint8Array));
    expect(Buffer.concat(parts).toString("utf8")).toBe(body);
    // Past the timeout: a deadline left running would abort (and Vitest report) a finished request.
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS + 200));
    const stream = answer.body as Readable;
    expect(stream.destroyed).toBe(true);
    expect(stream.errored).toBeNull();
  });

  it("abandons a body nobody reads in time, without crashing the process", async () => {
    const registry = await servers.serve((_req, res) => trickle(res, "x".repeat(4000), 1000));
    const answer = await client(registry.url).fetchAllowlist(null);
    expect(answer.kind).toBe("body");
    if (answer.kind !== "body") return;
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS + 200));
    await expect(
      (async () => {
        for await (const _chunk of answer.body);
      })(),
    ).rejects.toThrow("sync.requestTimeout");
  });
});

describe("HttpRegistryClient: redirects are refused", () => {
  it("does not follow a 302 to another origin: no request there, no token sent, a clear reason", async () => {
    const elsewhere = await servers.serve((_req, res) => {
      res.writeHead(200);
      res.end(signedBody({ to: 9 }, putLines(1, 1)));
    });
    const registry = await servers.serve((_req, res) => {
      res.writeHead(302, { location: `${elsewhere.url}/v1/sites/${SITE}/allowlist` });
      res.end();
    });
    const gate = new GateDb();
    gates.push(gate);
    const sync = pullingSync(gate, registry.url, client(registry.url));

    const outcome = await sync.pullOnce();

    expect(outcome).toMatchObject({ kind: "failed", status: 302 });
    if (outcome.kind === "failed") {
      expect(outcome.message).toContain(`redirects to ${elsewhere.url}/`);
      expect(outcome.message).toContain("set registry.url");
    }
    expect(elsewhere.requests).toEqual([]);
    expect(registry.requests.map((r) => r.authorization)).toEqual([`Bearer ${GOOD_TOKEN}`]);
    expect(gate.store.stats()).toMatchObject({ version: null, count: 0 });
    expect(gate.state.get()).toMatchObject({ failures: 1, lastErrorCode: "failed" });
  });

  it("refuses an event upload answered with a redirect: the batch stays to be sent again", async () => {
    const elsewhere = await servers.serve((_req, res) => {
      res.writeHead(200);
      res.end('{"accepted":1}');
    });
    const registry = await servers.serve((req, res) => {
      req.resume();
      res.writeHead(307, { location: `${elsewhere.url}/v1/sites/${SITE}/events` });
      res.end();
    });
    const posted = await client(registry.url).postEvents([EVENT]);
    expect(posted).toMatchObject({ kind: "failed", status: 307 });
    expect(elsewhere.requests).toEqual([]);
  });
});
