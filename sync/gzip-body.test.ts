import type { IncomingMessage, ServerResponse } from "node:http";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import {
  putLine,
  putLines,
  registryCredential,
  signedBody,
} from "../daemon/allowlist/testing/test-bodies.js";
import { GateDb, GOOD_TOKEN, pullingSync, SITE, seedV1 } from "../test/fixtures/sync-fixture.js";
import type { DecodeLimits } from "./body-decoding.js";
import { HttpRegistryClient } from "./http-registry-client.js";
import type { RegistrySync } from "./registry-sync.js";
import { endlessGzipBomb } from "./testing/gzip-bomb.js";
import { TestHttpServers } from "./testing/test-http-servers.js";

/**
 * Allowlist bodies sent with `Content-Encoding: gzip` by a real HTTP server on loopback:
 * applied when whole and within bounds; refused, counted, and the allowlist in force left
 * byte for byte as it was when the body is a bomb (by ratio or by size), corrupt, cut
 * short, or in an encoding the gate did not ask for.
 */

const servers = new TestHttpServers();
const gates: GateDb[] = [];

afterEach(async () => {
  for (const gate of gates.splice(0)) gate.close();
  await servers.close();
});

/** Answers every request with `body` as sent, under `encoding`. */
const answer =
  (body: Buffer, encoding: string | null) =>
  (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, {
      "content-type": "application/x-ndjson",
      "content-length": String(body.length),
      ...(encoding === null ? {} : { "content-encoding": encoding }),
    });
    res.end(body);
  };

const endlessBomb = endlessGzipBomb(SITE);

/** A gate holding a v1 of three credentials, and a sync loop to `url` with `gzip` bounds. */
async function gateWithV1(url: string, gzip?: DecodeLimits) {
  const gate = new GateDb();
  gates.push(gate);
  await seedV1(gate);
  return { gate, sync: syncTo(gate, url, gzip), before: gate.dump() };
}

function syncTo(gate: GateDb, url: string, gzip?: DecodeLimits): RegistrySync {
  const client = new HttpRegistryClient({
    url,
    site: SITE,
    token: GOOD_TOKEN,
    timeoutMs: 60_000,
    ...(gzip === undefined ? {} : { gzip }),
  });
  return pullingSync(gate, url, client);
}

describe("HttpRegistryClient: gzip bodies", () => {
  it("asks for gzip and applies a gzip snapshot, then a gzip delta", async () => {
    const registry = await servers.serve((req, res) => {
      const text =
        req.url?.includes("since=") === true
          ? signedBody({ kind: "delta", from: 2, to: 3 }, [
              putLine(registryCredential(1, { status: "revoked" })),
            ])
          : signedBody({ to: 2 }, putLines(1, 500));
      answer(gzipSync(text), "gzip")(req, res);
    });
    const { gate, sync } = await gateWithV1(registry.url);

    const snapshot = await sync.pullOnce({ snapshot: true });
    expect(snapshot).toMatchObject({ kind: "applied", result: { kind: "snapshot", to: 2, count: 500 } });
    const delta = await sync.pullOnce();
    expect(delta).toMatchObject({ kind: "applied", result: { kind: "delta", from: 2, to: 3 } });

    expect(registry.requests.map((r) => r.acceptEncoding)).toEqual(["gzip", "gzip"]);
    expect(gate.store.get("1")?.status).toBe("revoked");
    expect(gate.store.stats()).toMatchObject({ version: 3, count: 500 });
    expect(gate.state.get()).toMatchObject({ failures: 0, refused: {} });
  });

  it("refuses a bomb by its expansion ratio while it streams; the allowlist stays whole", async () => {
    const registry = await servers.serve(endlessBomb);
    const { gate, sync, before } = await gateWithV1(registry.url, { maxBytes: 2 ** 30, maxRatio: 50 });

    const outcome = await sync.pullOnce();

    expect(outcome).toMatchObject({ kind: "refused", reason: "expansion_too_high" });
    if (outcome.kind === "refused") expect(outcome.message).toContain("sync.gzip.maxRatio 50");
    expect(gate.dump()).toBe(before);
    expect(gate.state.get()).toMatchObject({
      failures: 1,
      lastErrorCode: "expansion_too_high",
      refused: { expansion_too_high: 1 },
    });
  });

  it("refuses a bomb by its decompressed size while it streams, and counts each refusal", async () => {
    const registry = await servers.serve(endlessBomb);
    const { gate, sync, before } = await gateWithV1(registry.url, {
      maxBytes: 4 * 2 ** 20,
      maxRatio: 10_000,
    });

    const first = await sync.pullOnce();
    const second = await sync.pullOnce();

    for (const outcome of [first, second]) {
      expect(outcome).toMatchObject({ kind: "refused", reason: "decoded_too_large" });
      if (outcome.kind === "refused") expect(outcome.message).toContain("more than 4 MiB");
    }
    expect(gate.dump()).toBe(before);
    expect(gate.state.get()).toMatchObject({ failures: 2, refused: { decoded_too_large: 2 } });
  });

  const v2 = signedBody({ to: 2 }, putLines(1, 200));
  const gz = gzipSync(v2);
  const badCrc = Buffer.from(gz);
  // The CRC-32 of the gzip trailer: every byte decompresses, then the check fails at the end.
  badCrc[badCrc.length - 8] = (badCrc[badCrc.length - 8] ?? 0) ^ 0xff;
  const refusals: [string, Buffer, string, string, string][] = [
    ["a gzip stream with a wrong checksum", badCrc, "gzip", "bad_encoding", "not valid gzip"],
    ["a body that is not gzip at all", Buffer.from(v2), "gzip", "bad_encoding", "not valid gzip"],
    ["a gzip stream cut short", gz.subarray(0, gz.length - 100), "gzip", "bad_encoding", "cut short"],
    ["brotli, which the gate did not ask for", brotliCompressSync(v2), "br", "unsupported_encoding", '"br"'],
    ["deflate, which the gate did not ask for", gz, "deflate", "unsupported_encoding", '"deflate"'],
  ];

  it.each(refusals)(
    "refuses %s, counted; the allowlist stays whole",
    async (_what, body, encoding, reason, text) => {
      const registry = await servers.serve(answer(body, encoding));
      const { gate, sync, before } = await gateWithV1(registry.url);

      const outcome = await sync.pullOnce();

      expect(outcome).toMatchObject({ kind: "refused", reason });
      if (outcome.kind === "refused") expect(outcome.message).toContain(text);
      expect(gate.dump()).toBe(before);
      expect(gate.state.get()).toMatchObject({
        failures: 1,
        lastErrorCode: reason,
        refused: { [reason]: 1 },
      });
      // The same body sent plainly goes in: nothing but its encoding was wrong.
      const plain = await servers.serve(answer(Buffer.from(v2), null));
      expect(await syncTo(gate, plain.url).pullOnce()).toMatchObject({
        kind: "applied",
        result: { to: 2, count: 200 },
      });
    },
  );
});
