import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { signedBody } from "../daemon/allowlist/testing/test-bodies.js";
import { GOOD_TOKEN, SITE } from "../test/fixtures/sync-fixture.js";
import { HttpRegistryClient } from "./http-registry-client.js";

let server: Server | undefined;
afterEach(async () => {
  const s = server;
  server = undefined;
  if (s === undefined) return;
  s.closeAllConnections();
  await new Promise<void>((resolve) => s.close(() => resolve()));
});

describe("httpGet: a kept-alive connection the registry drops as it is reused", () => {
  it("sends the GET once more on a new connection instead of failing the pull", async () => {
    const served = new Set<Socket>();
    let dropped = 0;
    server = createServer((req, res) => {
      // The second request on a connection: the registry closes it unanswered, as when its
      // keep-alive timeout ends just as the gate reuses the connection.
      if (served.has(req.socket)) {
        dropped++;
        req.socket.destroy();
        return;
      }
      served.add(req.socket);
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.end(signedBody({ to: 1 }, []));
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new HttpRegistryClient({ url, site: SITE, token: GOOD_TOKEN, timeoutMs: 20_000 });

    for (let i = 0; i < 3; i++) {
      const answer = await client.fetchAllowlist(null);
      expect(answer.kind).toBe("body");
      if (answer.kind !== "body") return;
      const parts: Buffer[] = [];
      for await (const chunk of answer.body) parts.push(Buffer.from(chunk));
      expect(Buffer.concat(parts).toString("utf8")).toContain('"type":"trailer"');
    }
    expect(dropped).toBeGreaterThanOrEqual(1);
    expect(served.size).toBe(3);
  });
});
