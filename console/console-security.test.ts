import { execFileSync } from "node:child_process";
import { request } from "node:https";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../platform/log/logger.js";
import { UserStore } from "./auth/user-store.js";
import { startConsole } from "./console-app.js";
import { openConsoleDatabase } from "./store/console-database.js";
import { ADMIN, GUARD, login, startTestConsole, type TestConsole } from "./testing/test-console.js";

let desk: TestConsole | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
});

const me = (url: string, cookie: string) => fetch(`${url}/api/me`, { headers: { cookie } });

/** A GET over HTTPS trusting the test's self-signed certificate; the answer's status and headers. */
function httpsPost(url: string, body: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "POST", rejectUnauthorized: false, headers: { "content-type": "application/json" } },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("console security", () => {
  it("ends the sessions of a user whose password was set anew, or who was removed", async () => {
    desk = await startTestConsole();
    const guard = await login(desk.url, GUARD);
    const admin = await login(desk.url, ADMIN);
    // As `passgate console user …` does: another connection to the console's database.
    const db = openConsoleDatabase(desk.config.database.path);
    try {
      const users = new UserStore(db);
      await users.setPassword(GUARD.name, "a brand new password", Date.now() + 1);
      expect((await me(desk.url, guard.cookie)).status).toBe(401);
      expect((await me(desk.url, admin.cookie)).status).toBe(200);
      users.remove(ADMIN.name);
      expect((await me(desk.url, admin.cookie)).status).toBe(401);
    } finally {
      db.close();
    }
  });

  it("answers the live stream, the snapshot and the search 401 without a session", async () => {
    desk = await startTestConsole();
    for (const path of ["/api/events", "/api/site", "/api/search?q=x"]) {
      const response = await fetch(`${desk.url}${path}`);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: "not_logged_in" });
    }
  });

  it("logs logins and their failures without the password, the session or the CSRF token", async () => {
    const lines: string[] = [];
    const destination = new PassThrough();
    destination.on("data", (chunk) => lines.push(String(chunk)));
    desk = await startTestConsole({ deps: { logger: createLogger({ level: "debug", destination }) } });
    const session = await login(desk.url, GUARD);
    await fetch(`${desk.url}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: GUARD.name, password: "wrong password 123" }),
    });
    const log = lines.join("");
    expect(log).toContain('"msg":"console login"');
    expect(log).toContain('"msg":"console login failed"');
    for (const secret of [
      GUARD.password,
      "wrong password 123",
      session.cookie.split("=")[1] ?? "",
      session.me.csrf,
    ])
      expect(log).not.toContain(secret);
  });

  it("serves HTTPS with a Secure cookie and HSTS when given a certificate, also off loopback", async () => {
    // A folder with the users in its database, then the console stopped to start it with TLS.
    const first = await startTestConsole();
    await first.running.stop();
    const dir = first.dir;
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-keyout",
        join(dir, "console.key"),
        "-out",
        join(dir, "console.crt"),
      ],
      { stdio: "ignore" },
    );
    desk = await startTestConsole({
      dir,
      overrides: {
        listen: "0.0.0.0:0",
        tls: { cert: join(dir, "console.crt"), key: join(dir, "console.key") },
      },
    });
    expect(desk.url).toMatch(/^https:\/\/0\.0\.0\.0:\d+$/);
    const port = new URL(desk.url).port;
    const answer = await httpsPost(
      `https://127.0.0.1:${port}/api/login`,
      JSON.stringify({ username: GUARD.name, password: GUARD.password }),
    );
    expect(answer.status).toBe(200);
    const cookie = (answer.headers["set-cookie"] as string[]).find((c) => c.startsWith("passgate_console="));
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(String(answer.headers["strict-transport-security"])).toMatch(/max-age=\d+/);
  });

  it("refuses to start off loopback without TLS even when the config was built in code", async () => {
    const started = await startTestConsole();
    const config = { ...started.config, listen: "0.0.0.0:0" };
    await started.close();
    await expect(startConsole(config)).rejects.toThrow(
      "console listen 0.0.0.0:0 is not a loopback address and has no tls: give tls: {cert, key} or listen on 127.0.0.1",
    );
  });
});
