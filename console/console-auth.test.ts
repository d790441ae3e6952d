import { afterEach, describe, expect, it } from "vitest";
import { FakeClock } from "../platform/testing/fake-clock.js";
import { SESSION_IDLE_MS } from "./auth/session-store.js";
import { ADMIN, GUARD, login, post, startTestConsole, type TestConsole } from "./testing/test-console.js";

let consoleUnderTest: TestConsole | undefined;
afterEach(async () => {
  await consoleUnderTest?.close();
  consoleUnderTest = undefined;
});

async function loginRaw(
  url: string,
  username: string,
  password: string,
  headers: Record<string, string> = {},
) {
  return fetch(`${url}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ username, password }),
  });
}

describe("console login and sessions", () => {
  it("logs a user in with an HttpOnly SameSite=Strict cookie and answers /api/me", async () => {
    consoleUnderTest = await startTestConsole();
    const response = await loginRaw(consoleUnderTest.url, GUARD.name, GUARD.password);
    expect(response.status).toBe(200);
    const me = (await response.json()) as Record<string, unknown>;
    expect(me).toMatchObject({
      username: GUARD.name,
      role: "guard",
      site: "campus",
      timeZone: "Europe/Moscow",
    });
    expect(me.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith("passgate_console="));
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Strict/i);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/; Secure/i); // plain HTTP on loopback
    expect(cookie?.split(";")[0]).toMatch(/^passgate_console=[A-Za-z0-9_-]{43}$/);
    const answer = await fetch(`${consoleUnderTest.url}/api/me`, {
      headers: { cookie: cookie?.split(";")[0] ?? "" },
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ username: GUARD.name, csrf: me.csrf });
  });

  it("answers a wrong password and an unknown user with the same 401 and counts both", async () => {
    consoleUnderTest = await startTestConsole();
    const wrong = await loginRaw(consoleUnderTest.url, GUARD.name, "not the password");
    const unknown = await loginRaw(consoleUnderTest.url, "nobody", "not the password");
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(await wrong.json()).toEqual(await unknown.json());
    expect(wrong.headers.getSetCookie()).toEqual([]);
    expect(consoleUnderTest.running.counters.get("login_failed")).toBe(2);
  });

  it("refuses a sixth try within 5 minutes with 429 and Retry-After, even with the right password", async () => {
    consoleUnderTest = await startTestConsole();
    for (let i = 0; i < 5; i++)
      expect((await loginRaw(consoleUnderTest.url, GUARD.name, `wrong ${i}`)).status).toBe(401);
    const limited = await loginRaw(consoleUnderTest.url, GUARD.name, GUARD.password);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(300);
    expect(await limited.json()).toMatchObject({ error: "rate_limited" });
    expect(consoleUnderTest.running.counters.get("login_rate_limited")).toBe(1);
    // The limit is per IP too: another user from this address is refused as well.
    expect((await loginRaw(consoleUnderTest.url, ADMIN.name, ADMIN.password)).status).toBe(429);
  });

  it("answers 401 without a session and after the idle expiry", async () => {
    // The users' passwords are set at the real time, just after this: a session of the fake
    // clock must not begin before them (it would count as older than the password).
    const clock = new FakeClock(Date.now() + 60_000);
    consoleUnderTest = await startTestConsole({ deps: { clock } });
    expect((await fetch(`${consoleUnderTest.url}/api/me`)).status).toBe(401);
    const session = await login(consoleUnderTest.url, GUARD);
    expect(
      (await fetch(`${consoleUnderTest.url}/api/me`, { headers: { cookie: session.cookie } })).status,
    ).toBe(200);
    clock.advance(SESSION_IDLE_MS + 1);
    const expired = await fetch(`${consoleUnderTest.url}/api/me`, { headers: { cookie: session.cookie } });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ error: "not_logged_in" });
  });

  it("refuses a POST without the CSRF token, with a wrong one, or from another origin (403)", async () => {
    consoleUnderTest = await startTestConsole();
    const session = await login(consoleUnderTest.url, GUARD);
    const url = `${consoleUnderTest.url}/api/logout`;
    const missing = await fetch(url, { method: "POST", headers: { cookie: session.cookie } });
    expect(missing.status).toBe(403);
    expect(await missing.json()).toMatchObject({ error: "csrf" });
    const wrong = await fetch(url, {
      method: "POST",
      headers: { cookie: session.cookie, "x-csrf-token": "x".repeat(43) },
    });
    expect(wrong.status).toBe(403);
    const crossSite = await fetch(url, {
      method: "POST",
      headers: { cookie: session.cookie, "x-csrf-token": session.me.csrf, origin: "https://evil.example" },
    });
    expect(crossSite.status).toBe(403);
    const crossLogin = await loginRaw(consoleUnderTest.url, GUARD.name, GUARD.password, {
      "sec-fetch-site": "cross-site",
    });
    expect(crossLogin.status).toBe(403);
    expect(consoleUnderTest.running.counters.get("csrf_refused")).toBe(4);
    // The session still works, and the right token logs out.
    expect((await post(url, session)).status).toBe(200);
    expect(
      (await fetch(`${consoleUnderTest.url}/api/me`, { headers: { cookie: session.cookie } })).status,
    ).toBe(401);
  });

  it("sends the security headers: CSP without inline code, no framing, no referrer, nosniff", async () => {
    consoleUnderTest = await startTestConsole();
    const page = await fetch(`${consoleUnderTest.url}/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    const html = await page.text();
    expect(html).toContain('data-testid="login-username"');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/<style|style="/);
    const api = await fetch(`${consoleUnderTest.url}/api/me`);
    expect(api.headers.get("cache-control")).toBe("no-store");
  });

  it("answers a body that is not JSON, or too large, in the API's error shape", async () => {
    consoleUnderTest = await startTestConsole();
    const notJson = await fetch(`${consoleUnderTest.url}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{username:",
    });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error: "bad_request" });
    const large = await fetch(`${consoleUnderTest.url}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "a", password: "x".repeat(20_000) }),
    });
    expect(large.status).toBe(413);
    expect(await large.json()).toMatchObject({ error: "too_large" });
    const wrongShape = await loginRaw(consoleUnderTest.url, "x".repeat(65), "y");
    expect(wrongShape.status).toBe(400);
    const missing = await fetch(`${consoleUnderTest.url}/api/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "not_found", message: "no such page" });
  });

  it("logs in once with a login link, which then no longer works", async () => {
    consoleUnderTest = await startTestConsole();
    const link = consoleUnderTest.running.issueLoginLink(GUARD.name);
    expect(link.startsWith(`${consoleUnderTest.url}/#login=`)).toBe(true);
    const code = link.split("#login=")[1];
    const exchange = () =>
      fetch(`${consoleUnderTest?.url}/api/login/link`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ code }),
      });
    const first = await exchange();
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ username: GUARD.name });
    expect((await exchange()).status).toBe(401);
  });

  it("cuts off a flood of requests from one address with 429 and counts it", async () => {
    consoleUnderTest = await startTestConsole({ overrides: { requestsPerMinute: 60 } });
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) statuses.push((await fetch(`${consoleUnderTest.url}/api/me`)).status);
    expect(statuses.slice(0, 60).every((s) => s === 401)).toBe(true);
    const limited = await fetch(`${consoleUnderTest.url}/api/me`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ error: "rate_limited" });
    expect(consoleUnderTest.running.counters.get("requests_rate_limited")).toBeGreaterThanOrEqual(1);
  });

  it("refuses to start on a non-loopback address without TLS, with one line", async () => {
    await expect(startTestConsole({ overrides: { listen: "0.0.0.0:0" } })).rejects.toThrow(
      /listen: 0\.0\.0\.0:0 is not a loopback address: give tls/,
    );
  });
});
