import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { waitUntil } from "../daemon/mqtt/testing/mosquitto.js";
import { DemoDirs, demoDecisions } from "./demo-output.js";
import { cliArgv, repoRoot, runCli } from "./run-cli.js";

/** The demo's second line: its web console, with a one-time login link for the admin. */
const CONSOLE_LINE =
  /^passgate demo: console (http:\/\/127\.0\.0\.1:\d+) — open (http:\/\/127\.0\.0\.1:\d+\/#login=([A-Za-z0-9_-]{43})) to log in as admin/m;

const dirs = new DemoDirs();
afterAll(() => dirs.removeAll());

describe("passgate demo (not on a terminal)", () => {
  it("runs a campus of two gates for --duration, one plain line per event, then the summary", () => {
    const dir = dirs.make();
    const { code, stdout, stderr } = runCli(["demo", "--duration", "3", "--rate", "120", "--dir", dir]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).not.toContain("\x1b");
    expect(stdout.split("\n")[0]).toMatch(
      /^passgate demo: broker mqtt:\/\/127\.0\.0\.1:\d+ \(embedded\), registry http/,
    );
    expect(stdout.split("\n")[1]).toMatch(CONSOLE_LINE);
    const gates = new Set(demoDecisions(stdout).map((d) => d.split("/")[0]));
    expect([...gates].sort()).toEqual(["gate-1", "gate-2"]);
    expect(stdout).toMatch(/passgate demo finished after \d+ s: 2 gates, 4 lanes/);
    expect(stdout).toMatch(/false accepts 0 /);
    expect(stdout).toContain(`passgate -c ${join(dir, "gate-1", "passgate.yaml")} journal tail`);
    expect(existsSync(join(dir, "gates.log"))).toBe(true);
  }, 45_000);

  it("serves its console at the URL it prints, and the login link logs the admin in once", async () => {
    const child = spawn(
      process.execPath,
      cliArgv(["demo", "--duration", "20", "--no-faults", "--dir", dirs.make()]),
      {
        cwd: repoRoot,
        env: { ...process.env, PASSGATE_CONFIG: "" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      await waitUntil(() => CONSOLE_LINE.test(stdout), "the console's line", 30_000);
      const [, url, , code] = CONSOLE_LINE.exec(stdout) ?? [];
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('data-testid="login-form"');
      const link = () =>
        fetch(`${url}/api/login/link`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ code }),
        });
      const first = await link();
      expect(first.status).toBe(200);
      const me = (await first.json()) as { csrf: string };
      expect(me).toMatchObject({ username: "admin", role: "admin", site: "sim-campus" });
      expect((await link()).status).toBe(401);
      const cookie = first.headers
        .getSetCookie()
        .map((c) => c.split(";")[0])
        .join("; ");
      // The console follows the campus's gates on the embedded broker…
      const gates = async () => {
        const site = (await (await fetch(`${url}/api/site`, { headers: { cookie } })).json()) as {
          gates: { gate: string; online: boolean }[];
        };
        return site.gates.filter((g) => g.online).map((g) => g.gate);
      };
      await expect.poll(gates, { timeout: 15_000 }).toEqual(["gate-1", "gate-2"]);
      // …and a gate acts on what it signs: its operator is in the gates' rosters.
      const open = await fetch(`${url}/api/gates/gate-2/open`, {
        method: "POST",
        headers: { cookie, "content-type": "application/json", "x-csrf-token": me.csrf },
        body: JSON.stringify({ relay: "in-turnstile", reason: "demo visitor" }),
      });
      expect(await open.json()).toMatchObject({ ok: true, data: { result: "opened" } });
    } finally {
      child.kill("SIGINT");
      await exited;
    }
  }, 45_000);
});
