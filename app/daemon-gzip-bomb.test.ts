import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import { EXAMPLE_TRUST } from "../daemon/allowlist/testing/test-bodies.js";
import { freeLoopbackPort } from "../daemon/mqtt/testing/mosquitto.js";
import { systemClock } from "../platform/clock.js";
import { endlessGzipBomb } from "../sync/testing/gzip-bomb.js";
import { GateDb, GOOD_TOKEN, memoryLogger, SITE } from "../test/fixtures/sync-fixture.js";
import { startDaemon } from "./gate-app.js";

/**
 * A running gate whose registry answers with a gzip bomb: the gate refuses it under its
 * configured `sync.gzip` bound, counts it in /metrics and shows it in /status, and keeps
 * deciding on the allowlist it has.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function bombRegistry(): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const bomb = endlessGzipBomb(SITE);
  const server: Server = createServer((req, res) => {
    requests++;
    bomb(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
}

/** Polls `read` every 50 ms until `done` holds of its value (at most 30 s, for a loaded machine). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const end = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > end) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the daemon and a registry sending a gzip bomb", () => {
  it("refuses it under sync.gzip.maxDecompressedMiB, counts it in /metrics and /status, and keeps deciding", async () => {
    const registry = await bombRegistry();
    const tmp = new GateDb();
    cleanups.push(() => tmp.close());
    const tokenFile = join(tmp.dir, "token");
    writeFileSync(tokenFile, `${GOOD_TOKEN}\n`);
    const port = await freeLoopbackPort();
    const config = configSchema.parse({
      site: SITE,
      gate: "main-1",
      timezone: "Europe/Moscow",
      storage: { path: join(tmp.dir, "daemon.db") },
      registry: { url: registry.url, tokenFile, trustedKeys: EXAMPLE_TRUST, pollInterval: "1h" },
      // A ratio no bomb reaches: only the size bound, read from the config, can stop it.
      sync: { gzip: { maxDecompressedMiB: 3, maxRatio: 10_000 }, backoff: { initial: "200ms", max: "1s" } },
      http: { listen: `127.0.0.1:${port}` },
      policy: { rules: [{ name: "staff", roles: ["staff"] }] },
    });
    const daemon = await startDaemon(config, {
      stdin: new PassThrough(),
      logger: memoryLogger().logger,
      clock: systemClock,
    });
    cleanups.push(() => daemon.stop());
    const base = `http://127.0.0.1:${port}`;

    const failures = await eventually(
      async () => {
        const text = await (await fetch(`${base}/metrics`)).text();
        const line = text.split("\n").find((l) => l.startsWith("passgate_sync_failures_total "));
        return Number(line?.slice(line.lastIndexOf(" ") + 1));
      },
      (n) => n >= 2,
    );
    expect(failures).toBeGreaterThanOrEqual(2);
    expect(registry.requests()).toBeGreaterThanOrEqual(2);

    const status = (await (await fetch(`${base}/status`)).json()) as {
      allowlist: { version: number | null; count: number };
      sync: { lastError: string | null };
    };
    expect(status.sync.lastError).toContain("more than 3 MiB (sync.gzip.maxDecompressedMiB)");
    expect(status.allowlist).toMatchObject({ version: null, count: 0 });

    const outcome = daemon.gate.handleScan("not a token", { id: "in", direction: "in" });
    expect(outcome.decision).toMatchObject({ result: "denied", reason: "malformed" });
  });
});
