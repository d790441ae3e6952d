import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EXAMPLE_TRUST } from "../../daemon/allowlist/testing/test-bodies.js";
import { Journal } from "../../daemon/journal/journal.js";
import { openDatabase } from "../../platform/database/database.js";
import { runCliInProcess } from "../../test/cli-harness.js";
import { GateDb, GOOD_TOKEN, put, registryPerFile, SITE } from "../../test/fixtures/sync-fixture.js";

const registry = registryPerFile();
let tmp: GateDb;
beforeEach(() => {
  tmp = new GateDb();
});
afterEach(() => tmp.close());

function writeConfig(token: string, registryUrl = registry.url): string {
  const tokenFile = join(tmp.dir, "token");
  writeFileSync(tokenFile, token);
  const file = join(tmp.dir, "gate.yaml");
  const keys = Object.entries(EXAMPLE_TRUST)
    .map(([id, key]) => `    ${id}: ${key}`)
    .join("\n");
  writeFileSync(
    file,
    `site: ${SITE}\ngate: main-1\ntimezone: Europe/Moscow\nstorage:\n  path: ${join(tmp.dir, "cli.db")}\nregistry:\n  url: ${registryUrl}\n  tokenFile: ${tokenFile}\n  trustedKeys:\n${keys}\n`,
  );
  return file;
}

describe("passgate sync", () => {
  it("`sync now` pulls and uploads; `sync status --json` shows what happened", async () => {
    const version = registry.server.publish([put(1), put(2)]);
    const config = writeConfig(GOOD_TOKEN);
    const db = openDatabase(join(tmp.dir, "cli.db"));
    const journal = Journal.open(db);
    for (let i = 0; i < 3; i++)
      journal.append({
        kind: "decision",
        at: Date.now(),
        gate: "main-1",
        reader: "in",
        direction: "in",
        credential: "1",
        person: "p-1",
        step: i,
        result: "granted",
        reason: "ok",
        data: {},
      });
    db.close();

    const now = await runCliInProcess(["-c", config, "sync", "now"]);
    expect(now.stdout).toContain(`allowlist snapshot v${version} applied: 2 credentials`);
    expect(now.stdout).toContain("uploaded 3 events; backlog 0");
    expect(now.code).toBe(0);
    // Not a terminal: progress goes out as log lines.
    expect(now.stderr).toContain("snapshot download");

    const status = await runCliInProcess(["-c", config, "sync", "status", "--json"]);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout) as Record<string, unknown>;
    expect(parsed).toMatchObject({
      registry: registry.url,
      site: SITE,
      version,
      credentials: 2,
      lastError: null,
      backlog: 0,
      stopped: false,
    });
    expect(parsed.ageSeconds).toBeLessThan(60);

    const text = await runCliInProcess(["-c", config, "sync", "status"]);
    expect(text.stdout).toMatch(/allowlist:\s+v\d+, 2 credentials/);
    expect(text.stdout).toMatch(/event backlog:\s+0/);
  }, 60_000);

  it("`sync now` with a refused token says so and exits 1; status shows it stopped", async () => {
    const config = writeConfig("not-the-token");
    const now = await runCliInProcess(["-c", config, "sync", "now"]);
    expect(now.code).toBe(1);
    expect(now.stdout).toContain("pull failed (unauthorized)");
    expect(now.stdout).not.toContain("not-the-token");
    const status = JSON.parse(
      (await runCliInProcess(["-c", config, "sync", "status", "--json"])).stdout,
    ) as Record<string, unknown>;
    expect(status).toMatchObject({ stopped: true, lastErrorCode: "unauthorized", version: null });
    expect(String(status.lastError)).toContain("sync is stopped until registry.url or the token");
  }, 60_000);

  it("`sync status` says the last upload was never while no upload ever succeeded", async () => {
    // A registry address nothing answers on: a server that was there and is gone.
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, "127.0.0.1", resolve));
    const port = (gone.address() as AddressInfo).port;
    await new Promise<void>((resolve) => gone.close(() => resolve()));
    const config = writeConfig(GOOD_TOKEN, `http://127.0.0.1:${port}`);
    // The journal holds a mode change only (no decision to send) and then a decision.
    expect((await runCliInProcess(["-c", config, "mode", "set", "lockdown"])).code).toBe(0);
    const now = await runCliInProcess(["-c", config, "sync", "now"]);
    expect(now.code).toBe(1);
    expect(now.stdout).toContain("pull failed (retry)");
    let status = await runCliInProcess(["-c", config, "sync", "status"]);
    expect(status.stdout).toMatch(/last upload:\s+never\n/);
    expect(
      JSON.parse((await runCliInProcess(["-c", config, "sync", "status", "--json"])).stdout),
    ).toMatchObject({ uploadedAt: null, backlog: 0 });

    const db = openDatabase(join(tmp.dir, "cli.db"));
    Journal.open(db).append({
      kind: "decision",
      at: Date.now(),
      gate: "main-1",
      reader: "in",
      direction: "in",
      credential: "1",
      person: "p-1",
      step: 1,
      result: "granted",
      reason: "ok",
      data: {},
    });
    db.close();
    expect((await runCliInProcess(["-c", config, "sync", "now"])).stdout).toContain("event upload failed");
    status = await runCliInProcess(["-c", config, "sync", "status"]);
    expect(status.stdout).toMatch(/last upload:\s+never\n/);
    expect(status.stdout).toMatch(/event backlog:\s+1 \(last upload error: /);

    // Once the registry acknowledges the event, the time of that upload shows.
    const reachable = writeConfig(GOOD_TOKEN);
    expect((await runCliInProcess(["-c", reachable, "sync", "now"])).stdout).toContain("uploaded 1 events");
    status = await runCliInProcess(["-c", reachable, "sync", "status"]);
    expect(status.stdout).toMatch(/last upload:\s+\d{4}-\d\d-\d\dT/);
  }, 60_000);
});
