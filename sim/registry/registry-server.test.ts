import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import {
  EXAMPLE_KEY_ID,
  EXAMPLE_SITE,
  RFC_TEST2_PRIVATE,
  registryCredential,
} from "../../daemon/allowlist/testing/test-bodies.js";
import { waitUntil } from "../../daemon/mqtt/testing/mosquitto.js";
import { GateDb, httpSync } from "../../test/fixtures/sync-fixture.js";
import { acceptsGzip } from "./body-wire.js";
import { RegistryServer } from "./registry-server.js";

/** The simulated registry serves an allowlist body gzip-compressed only to a client that asks for it. */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const ISSUED_AT = "2026-12-01T10:00:00.000Z";

async function registry(): Promise<{ server: RegistryServer; url: string }> {
  const server = new RegistryServer({
    site: EXAMPLE_SITE,
    token: null,
    keyId: EXAMPLE_KEY_ID,
    privateKey: RFC_TEST2_PRIVATE,
    issuedAt: () => ISSUED_AT,
  });
  const url = await server.start();
  cleanups.push(() => server.stop());
  server.publish(
    Array.from({ length: 300 }, (_, i) => ({ type: "put" as const, credential: registryCredential(i + 1) })),
  );
  return { server, url };
}

/** GET the snapshot with `acceptEncoding` (none when undefined): its Content-Encoding and its bytes as received. */
function fetchRaw(
  url: string,
  acceptEncoding: string | undefined,
): Promise<{ encoding: string | undefined; vary: string | undefined; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers = acceptEncoding === undefined ? {} : { "accept-encoding": acceptEncoding };
    get(`${url}/v1/sites/${EXAMPLE_SITE}/allowlist`, { headers }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (chunk: Buffer) => parts.push(chunk));
      res.on("end", () =>
        resolve({
          encoding: res.headers["content-encoding"],
          vary: res.headers.vary,
          bytes: Buffer.concat(parts),
        }),
      );
      res.on("error", reject);
    }).on("error", reject);
  });
}

describe("RegistryServer: gzip when asked", () => {
  it("sends the plain body to a client that does not ask, and the same body gzip-compressed to one that does", async () => {
    const { server, url } = await registry();

    const plain = await fetchRaw(url, undefined);
    const gzip = await fetchRaw(url, "gzip");
    const refused = await fetchRaw(url, "gzip;q=0, identity");
    const brOnly = await fetchRaw(url, "br");

    expect(plain.encoding).toBeUndefined();
    expect(plain.vary).toBe("accept-encoding");
    expect(plain.bytes.toString("utf8")).toContain('"type":"header"');
    expect(gzip.encoding).toBe("gzip");
    expect(gunzipSync(gzip.bytes).equals(plain.bytes)).toBe(true);
    expect(gzip.bytes.length).toBeLessThan(plain.bytes.length / 3);
    expect(refused.encoding).toBeUndefined();
    expect(refused.bytes.equals(plain.bytes)).toBe(true);
    expect(brOnly.encoding).toBeUndefined();
    // What went on the wire, body bytes as received.
    expect(server.sentBodies).toEqual([
      { encoding: "identity", bytes: plain.bytes.length },
      { encoding: "gzip", bytes: gzip.bytes.length },
      { encoding: "identity", bytes: plain.bytes.length },
      { encoding: "identity", bytes: plain.bytes.length },
    ]);
  });

  it("serves a body on disk as it is, from its compressed copy, or compressed as it streams; not at all gzip when turned off", async () => {
    const { server, url } = await registry();
    const dir = mkdtempSync(join(tmpdir(), "passgate-registry-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const text = (await fetchRaw(url, undefined)).bytes;
    const file = join(dir, "snapshot.ndjson");
    writeFileSync(file, text);
    writeFileSync(`${file}.gz`, gzipSync(text, { level: 9 }));

    server.nextAllowlist(
      { status: 200, file },
      { status: 200, file, gzipFile: `${file}.gz` },
      { status: 200, file, gzipFile: `${file}.gz` },
    );
    const streamed = await fetchRaw(url, "gzip");
    const cached = await fetchRaw(url, "gzip");
    const plain = await fetchRaw(url, "identity");
    server.serveGzip = false;
    const off = await fetchRaw(url, "gzip");

    expect(streamed.encoding).toBe("gzip");
    expect(gunzipSync(streamed.bytes).equals(text)).toBe(true);
    expect(cached.encoding).toBe("gzip");
    expect(cached.bytes.equals(gzipSync(text, { level: 9 }))).toBe(true);
    expect(plain.encoding).toBeUndefined();
    expect(plain.bytes.equals(text)).toBe(true);
    expect(off.encoding).toBeUndefined();
    // A body is listed once the server's side of the response has finished, which may come
    // just after the client read its last byte.
    await waitUntil(() => server.sentBodies.length >= 5, "the server to list the five bodies", 5_000);
    expect(server.sentBodies.slice(1).map((s) => s.encoding)).toEqual([
      "gzip",
      "gzip",
      "identity",
      "identity",
    ]);
  });

  it("a gate's sync asks for gzip, gets it, and applies it", async () => {
    const { server, url } = await registry();
    const gate = new GateDb();
    cleanups.push(() => gate.close());
    const { sync } = httpSync(gate, url, { token: null });

    expect(await sync.pullOnce()).toMatchObject({ kind: "applied", result: { count: 300 } });
    expect(server.sentBodies.map((s) => s.encoding)).toEqual(["gzip"]);
  });

  it.each([
    [undefined, false],
    ["gzip", true],
    ["GZIP", true],
    ["x-gzip", true],
    ["gzip, deflate, br", true],
    ["deflate, br", false],
    ["gzip;q=0", false],
    ["gzip; q=0.5", true],
    ["*", true],
    ["*;q=0", false],
    ["gzip;q=0, *", false],
    ["identity", false],
  ])("Accept-Encoding %s: gzip %s", (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});
