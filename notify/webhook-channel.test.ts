import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../platform/clock.js";
import { DeliveryError } from "./delivery-channel.js";
import type { Guardian } from "./guardian-directory.js";
import { WebhookChannel } from "./webhook-channel.js";

// The webhook channel against real HTTP servers on loopback that misbehave: one that never
// answers, one that redirects to another that counts what reaches it.

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return `http://127.0.0.1:${address.port}`;
}

const notice = {
  noticeId: "4f9d2a1e-0000-4000-8000-000000000001",
  person: "p-2001",
  name: "Петя",
  gate: "main-1",
  direction: "in" as const,
  at: Date.now(),
};
const channel = new WebhookChannel({
  secret: Buffer.from("0123456789abcdef"),
  timeZone: "Europe/Moscow",
  timeoutMs: 300,
  clock: systemClock,
});
const guardian = (url: string): Guardian => ({ id: "p-77", name: "Анна", consent: true, webhook: { url } });

async function failure(url: string): Promise<DeliveryError> {
  try {
    await channel.send(notice, guardian(url));
  } catch (err) {
    if (err instanceof DeliveryError) return err;
    throw err;
  }
  throw new Error("the request did not fail");
}

describe("WebhookChannel", () => {
  it("gives up waiting after its timeout, and says so without the address", async () => {
    const base = await serve(() => undefined); // takes the request, never answers
    const err = await failure(`${base}/hook?token=bot-secret-in-url`);
    expect(err).toMatchObject({ message: "webhook timed out", permanent: false });
    expect(err.message).not.toContain("bot-secret");
  });

  it("does not follow a redirect: the notice never reaches where it points", async () => {
    let reached = 0;
    const elsewhere = await serve((_req, res) => {
      reached++;
      res.end();
    });
    const base = await serve((_req, res) => {
      res.writeHead(307, { location: `${elsewhere}/stolen` });
      res.end();
    });
    const err = await failure(`${base}/hook`);
    expect(err).toMatchObject({
      message: "webhook answered a redirect (HTTP 307), refused",
      permanent: true,
    });
    expect(reached).toBe(0);
  });

  it("a receiver that is not there is tried again later", async () => {
    const base = await serve(() => undefined);
    servers[0]?.close();
    servers[0]?.closeAllConnections();
    servers.splice(0);
    const err = await failure(`${base}/hook`);
    expect(err).toMatchObject({ message: "webhook unreachable", permanent: false });
  });
});
