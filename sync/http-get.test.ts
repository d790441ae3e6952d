import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { signedBody } from "../daemon/allowlist/testing/test-bodies.js";
import { GOOD_TOKEN, SITE } from "../test/fixtures/sync-fixture.js";
import { HttpRegistryClient } from "./http-registry-client.js";
import { TestHttpServers } from "./testing/test-http-servers.js";

const servers = new TestHttpServers();
afterEach(() => servers.close());

describe("httpGet: a kept-alive connection the registry drops as it is reused", () => {
  it("sends the GET once more on a new connection instead of failing the pull", async () => {
    const served = new Set<Socket>();
    let dropped = 0;
    const { url } = await servers.serve((req, res) => {
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
