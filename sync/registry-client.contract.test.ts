import { describe, expect, it } from "vitest";
import { putLine, registryCredential, signedBody } from "../daemon/allowlist/testing/test-bodies.js";
import { GOOD_TOKEN, registryPerFile, SITE } from "../test/fixtures/sync-fixture.js";
import { HttpRegistryClient } from "./http-registry-client.js";
import type { RegistryClient } from "./registry-client.js";
import { FakeRegistryClient } from "./testing/fake-registry-client.js";

/** What the contract needs from each side: a client and a way to script the registry's next answer. */
interface Harness {
  client: RegistryClient;
  body(text: string): void;
  notModified(): void;
  status(status: 401 | 403 | 429 | 503, retryAfterSeconds?: number): void;
}

const registry = registryPerFile();

const harnesses: [string, () => Harness][] = [
  [
    "FakeRegistryClient",
    () => {
      const fake = new FakeRegistryClient();
      return {
        client: fake,
        body: (text) => fake.allowlistAnswers.push({ kind: "body", text }),
        notModified: () => fake.allowlistAnswers.push({ kind: "not_modified" }),
        status: (status, retryAfter) =>
          fake.allowlistAnswers.push(
            status === 401 || status === 403
              ? { kind: "unauthorized", status, message: `HTTP ${status}` }
              : {
                  kind: "retry",
                  status,
                  message: `HTTP ${status}`,
                  ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter * 1000 }),
                },
          ),
      };
    },
  ],
  [
    "HttpRegistryClient against a real HTTP registry",
    () => ({
      client: new HttpRegistryClient({ url: registry.url, site: SITE, token: GOOD_TOKEN }),
      body: (text) => registry.server.nextAllowlist({ status: 200, lines: [text] }),
      notModified: () => registry.server.nextAllowlist({ status: 304 }),
      status: (status, retryAfter) =>
        registry.server.nextAllowlist({
          status,
          ...(retryAfter === undefined ? {} : { retryAfter: String(retryAfter) }),
        }),
    }),
  ],
];

async function text(body: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString("utf8");
}

describe.each(harnesses)("RegistryClient contract: %s", (_name, make) => {
  it("streams a body as sent", async () => {
    const h = make();
    const body = signedBody({}, [putLine(registryCredential(1)), putLine(registryCredential(2))]);
    h.body(body);
    const answer = await h.client.fetchAllowlist(null);
    expect(answer.kind).toBe("body");
    if (answer.kind === "body") expect(await text(answer.body)).toBe(body);
  });

  it("answers not_modified for a 304", async () => {
    const h = make();
    h.notModified();
    expect(await h.client.fetchAllowlist(7)).toEqual({ kind: "not_modified" });
  });

  it.each([401, 403] as const)("answers unauthorized for %i", async (status) => {
    const h = make();
    h.status(status);
    expect(await h.client.fetchAllowlist(7)).toMatchObject({ kind: "unauthorized", status });
  });

  it("answers retry with the Retry-After for 429, retry for 503", async () => {
    const h = make();
    h.status(429, 3);
    expect(await h.client.fetchAllowlist(7)).toMatchObject({
      kind: "retry",
      status: 429,
      retryAfterMs: 3000,
    });
    h.status(503);
    expect(await h.client.fetchAllowlist(7)).toMatchObject({ kind: "retry", status: 503 });
  });

  it("posts events and reports how many were accepted", async () => {
    const h = make();
    const event = {
      id: crypto.randomUUID(),
      gate: "main-1",
      reader: "in",
      at: new Date().toISOString(),
      credential: null,
      person: null,
      result: "denied" as const,
      reason: "malformed",
      passed: false,
    };
    expect(await h.client.postEvents([event])).toEqual({ kind: "accepted", accepted: 1 });
  });
});
