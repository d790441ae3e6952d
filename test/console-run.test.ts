import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addTestUsers, GUARD, login } from "../console/testing/test-console.js";
import { TestMosquitto, waitUntil } from "../daemon/mqtt/testing/mosquitto.js";
import { spawnCli } from "./cli-child.js";
import { notifySocket } from "./notify-socket.js";

let broker: TestMosquitto;
let dir: string;
beforeAll(async () => {
  broker = await TestMosquitto.start();
  dir = mkdtempSync(join(tmpdir(), "passgate-console-run-"));
});
afterAll(async () => {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("passgate console run", () => {
  it("serves the console from its YAML config until SIGTERM, then exits 0", async () => {
    const key = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" });
    writeFileSync(join(dir, "desk.key"), key, { mode: 0o600 });
    const config = join(dir, "console.yaml");
    writeFileSync(
      config,
      [
        "site: campus",
        "timeZone: Europe/Moscow",
        "mqtt:",
        `  url: ${broker.url}`,
        "listen: 127.0.0.1:0",
        "operator:",
        "  name: desk",
        "  keyFile: desk.key",
        "database:",
        "  path: console.db",
        "",
      ].join("\n"),
    );
    await addTestUsers(join(dir, "console.db"), [GUARD]);
    // As systemd runs it (scripts/passgate-console.service): it says when it is ready and stopping.
    const socket = notifySocket();
    await waitUntil(() => socket.messages.includes("listening"), "the notify socket");
    const cli = spawnCli(["console", "run", "--config", config], { NOTIFY_SOCKET: socket.path });
    await waitUntil(
      () => cli.logs.some((l) => l.msg === "console listening"),
      "the console listening",
      20_000,
    );
    const url = String(cli.logs.find((l) => l.msg === "console listening")?.url);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/`)).status).toBe(200);
    expect((await login(url, GUARD)).me.username).toBe(GUARD.name);
    await waitUntil(() => socket.messages.includes("READY=1"), "READY=1");
    cli.child.kill("SIGTERM");
    expect(await cli.exited).toBe(0);
    expect(cli.logs.some((l) => l.msg === "console stopping")).toBe(true);
    expect(socket.messages).toContain("STOPPING=1");
    socket.process.kill();
  });

  it("refuses a config with a non-loopback listen and no TLS, naming the line", async () => {
    const config = join(dir, "open.yaml");
    writeFileSync(
      config,
      "site: campus\nmqtt:\n  url: mqtt://127.0.0.1:1\nlisten: 0.0.0.0:8480\noperator:\n  name: desk\n  keyFile: desk.key\n",
    );
    // As systemd runs it (scripts/passgate-console.service): it says when it is ready and stopping.
    const socket = notifySocket();
    await waitUntil(() => socket.messages.includes("listening"), "the notify socket");
    const cli = spawnCli(["console", "run", "--config", config], { NOTIFY_SOCKET: socket.path });
    expect(await cli.exited).toBe(1);
    const text = cli.logs.map((l) => String(l.text ?? "")).join("\n");
    expect(text).toContain(
      `${config}:4 listen: 0.0.0.0:8480 is not a loopback address: give tls: {cert, key} (passwords and sessions must not cross the network in clear)`,
    );
  });
});
