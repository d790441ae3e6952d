import { createServer, type Server } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GateStatus } from "../app/http/status-schema.js";
import { freeLoopbackPort, waitUntil } from "../daemon/mqtt/testing/mosquitto.js";
import { spawnCli } from "./cli-child.js";
import { runCliInProcess } from "./cli-harness.js";
import { OpsGate } from "./ops-fixture.js";

let gate: OpsGate;
beforeEach(async () => {
  gate = new OpsGate();
  await gate.seed();
  gate.appendDecisions(3, Date.now() - 60_000);
});
afterEach(() => gate.close());

/** What the daemon's `/status` answers, in the agreed shape. */
const LIVE: GateStatus = {
  site: "demo-campus",
  gate: "main-1",
  version: "0.1.0",
  startedAt: "2026-11-24T08:00:00.000Z",
  uptimeSeconds: 7260,
  mode: "normal",
  broker: { configured: true, connected: false },
  readers: [{ id: "in", direction: "in", state: "disconnected", scans: 10, rejected: 1 }],
  relays: [{ id: "turnstile", reader: "in", available: true }],
  allowlist: { version: 7, count: 4, ageSeconds: 40 },
  sync: { configured: false, lastSuccessAt: null, lastError: null, backlog: 0 },
  decisions: { granted: 5, denied: 2 },
  bridges: [
    { id: "bridge:lane-1", paired: true, status: "online", lastScanAt: "2026-11-24T10:00:00.000Z" },
    { id: "bridge:lane-\u001b[2J", paired: false, status: "offline", lastScanAt: null },
  ],
};

describe("passgate status", { timeout: 60_000 }, () => {
  it("without a daemon: the database's part, 'daemon: not running', exit 0 (3 with --require-running)", async () => {
    const config = gate.writeConfig();
    const text = await runCliInProcess(["-c", config, "status"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^gate {6}demo-campus\/main-1$/m);
    expect(text.stdout).toMatch(/^mode {6}normal \(since .*, set by config\)$/m);
    expect(text.stdout).toMatch(/^daemon {4}not running \(or no http: section\)$/m);
    expect(text.stdout).toMatch(/^readers {3}in \(in, stdin\): unknown$/m);
    expect(text.stdout).toMatch(/^allowlist v7, 4 credentials, \d+ s old$/m);
    expect(text.stdout).toContain("last 3 journal entries:");
    expect(text.stdout).not.toContain("\u001b[");

    const json = await runCliInProcess(["-c", config, "status", "--json"]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({
      site: "demo-campus",
      mode: { mode: "normal", source: "config" },
      sync: { version: 7, credentials: 4, backlog: 3 },
      daemon: { reachable: false, url: null },
    });
    expect(report.lastDecisions).toHaveLength(3);

    expect((await runCliInProcess(["-c", config, "status", "--require-running"])).code).toBe(3);
  });

  it("reads readers, relays and broker from the daemon's /status", async () => {
    const port = await freeLoopbackPort();
    const server: Server = createServer((req, res) => {
      if (req.url !== "/status") {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(LIVE));
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    try {
      const config = gate.writeConfig(
        `mqtt:\n  url: mqtt://gate:secret@127.0.0.1:1883\nhttp:\n  listen: 127.0.0.1:${port}\n`,
      );
      const text = await runCliInProcess(["-c", config, "status", "--require-running"]);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(
        /^daemon {4}running 0\.1\.0, up 2 h \(http:\/\/127\.0\.0\.1:\d+\/status\)$/m,
      );
      expect(text.stdout).toMatch(/^broker {4}DISCONNECTED \(mqtt:\/\/127\.0\.0\.1:1883\)$/m);
      expect(text.stdout).not.toContain("secret");
      expect(text.stdout).toMatch(/^readers {3}in \(in, stdin\): DISCONNECTED, 10 scans, 1 rejected$/m);
      expect(text.stdout).toMatch(/^relays {4}turnstile \(log, reader in\): available$/m);
      // The gate's reader bridges, a name from the broker printed with its control characters escaped.
      // Times in the gate's zone (Europe/Moscow), with its offset.
      expect(text.stdout).toMatch(
        /^bridges {3}bridge:lane-1: online, paired, last scan 2026-11-24T13:00:00.000\+03:00$/m,
      );
      expect(text.stdout).toContain("bridge:lane-\\x1b[2J: OFFLINE, NOT PAIRED");
      expect(text.stdout).not.toContain("\u001b[2J");
      expect(text.stdout).toMatch(/^decisions 5 granted, 2 denied since start$/m);

      const json = await runCliInProcess(["-c", config, "status", "--json"]);
      expect(JSON.parse(json.stdout).daemon).toEqual({
        reachable: true,
        url: `http://127.0.0.1:${port}/status`,
        status: LIVE,
      });
    } finally {
      server.close();
    }
  });

  it("an answer of another shape counts as no daemon", async () => {
    const port = await freeLoopbackPort();
    const server = createServer((_req, res) => res.writeHead(200).end('{"hello":"world"}'));
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    try {
      const config = gate.writeConfig(`http:\n  listen: 127.0.0.1:${port}\n`);
      const result = await runCliInProcess(["-c", config, "status", "--require-running"]);
      expect(result.code).toBe(3);
      expect(result.stdout).toContain("not a passgate /status document");
    } finally {
      server.close();
    }
  });

  it("against the real daemon (passgate run with http:)", async () => {
    const port = await freeLoopbackPort();
    const config = gate.writeConfig(`http:\n  listen: 127.0.0.1:${port}\n`);
    const daemon = spawnCli(["--config", config, "run"]);
    try {
      let up = false;
      const poll = setInterval(() => {
        fetch(`http://127.0.0.1:${port}/status`)
          .then((r) => {
            up = r.status === 200;
          })
          .catch(() => undefined);
      }, 100);
      await waitUntil(() => up, "the daemon's /status", 20_000).finally(() => clearInterval(poll));
      const result = await runCliInProcess(["-c", config, "status", "--json", "--require-running"]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout);
      expect(report.daemon).toMatchObject({
        reachable: true,
        status: { site: "demo-campus", gate: "main-1", mode: "normal", allowlist: { version: 7, count: 4 } },
      });
      expect(report.daemon.status.readers.map((r: { id: string }) => r.id)).toEqual(["in"]);
      expect(report.daemon.status.relays).toEqual([{ id: "turnstile", reader: "in", available: true }]);
    } finally {
      daemon.child.kill("SIGTERM");
      await daemon.exited;
    }
  });

  it("a bad flag is one line and exit 2; a broken config exit 1", async () => {
    const config = gate.writeConfig();
    const bad = await runCliInProcess(["-c", config, "status", "--jsn"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toContain("--jsn");
    gate.writeConfig("bogus: 1\n");
    const broken = await runCliInProcess(["-c", config, "status"]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("bogus");
  });

  it("--help has examples", async () => {
    const help = await runCliInProcess(["status", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Examples:\n  passgate status");
  });
});
