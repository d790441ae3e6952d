import { mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestMosquitto } from "../../daemon/mqtt/testing/mosquitto.js";
import { createLogger } from "../../platform/log/logger.js";
import { makeDemoConsoleKey, startDemoConsole } from "./demo-console.js";

let broker: TestMosquitto;
const dir = mkdtempSync(join(tmpdir(), "passgate-demo-console-"));
beforeAll(async () => {
  broker = await TestMosquitto.start();
});
afterAll(async () => {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the demo's console", () => {
  it("takes a free port when its own is taken, keeps its key and database private, and lets the admin in once by link", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    const key = makeDemoConsoleKey();
    expect(key.member).toMatchObject({ id: "operator:console", kind: "operator", roles: ["guard", "admin"] });
    const web = await startDemoConsole({
      dir,
      site: "sim-campus",
      brokerUrl: broker.url,
      protocolVersion: 5,
      key,
      logger: createLogger({ level: "silent" }),
      port,
    });
    try {
      const url = new URL(web.url);
      expect(url.hostname).toBe("127.0.0.1");
      expect(Number(url.port)).not.toBe(port);
      expect(web.loginUrl).toMatch(new RegExp(`^${web.url}/#login=[A-Za-z0-9_-]{43}$`));
      for (const file of ["console-operator.key", "console.db"])
        expect(statSync(join(dir, file)).mode & 0o777, file).toBe(0o600);
      const code = web.loginUrl.split("#login=")[1];
      const redeem = () =>
        fetch(`${web.url}/api/login/link`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ code }),
        });
      const first = await redeem();
      expect(await first.json()).toMatchObject({ username: "admin", role: "admin", site: "sim-campus" });
      expect((await redeem()).status).toBe(401);
    } finally {
      await web.stop();
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
