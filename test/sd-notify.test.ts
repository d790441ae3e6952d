import { afterEach, describe, expect, it } from "vitest";
import { createServiceNotifier } from "../app/service/sd-notify.js";
import { exampleGate } from "../app/testing/mqtt-gate-fixture.js";
import { waitUntil } from "../daemon/mqtt/testing/mosquitto.js";
import { createLogger } from "../platform/log/logger.js";
import { spawnCli } from "./cli-child.js";
import { notifySocket } from "./notify-socket.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

describe("systemd notifications", () => {
  it("passgate run sends READY=1, feeds the watchdog, and RELOADING=1/READY=1 and STOPPING=1 around signals", async () => {
    const socket = notifySocket();
    cleanups.push(() => socket.process.kill());
    await waitUntil(() => socket.messages.includes("listening"), "the notify socket");
    const { file } = await exampleGate({ gate: "notify-1" });
    // A 600 ms watchdog: a ping every 300 ms.
    const cli = spawnCli(["--config", file, "run"], { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: "600000" });
    cleanups.push(() => cli.child.kill("SIGKILL"));
    await waitUntil(() => socket.messages.includes("READY=1"), "READY=1", 15_000).catch((err: unknown) => {
      throw new Error(`${String(err)}: ${JSON.stringify(cli.logs)} ${JSON.stringify(socket.messages)}`);
    });
    await waitUntil(
      () => socket.messages.filter((m) => m === "WATCHDOG=1").length >= 2,
      "two watchdog pings",
    );
    cli.child.kill("SIGHUP");
    await waitUntil(() => socket.messages.includes("RELOADING=1"), "RELOADING=1");
    await waitUntil(
      () => socket.messages.filter((m) => m === "READY=1").length === 2,
      "READY=1 after the reload",
    );
    cli.child.kill("SIGTERM");
    expect(await cli.exited).toBe(0);
    await waitUntil(() => socket.messages.includes("STOPPING=1"), "STOPPING=1");
    const states = socket.messages.filter(
      (m) => m !== "listening" && m !== "BARRIER=1" && m !== "WATCHDOG=1",
    );
    expect(states).toEqual(["READY=1", "RELOADING=1", "READY=1", "STOPPING=1"]);
    expect(socket.messages.indexOf("WATCHDOG=1")).toBeGreaterThan(socket.messages.indexOf("READY=1"));
  });

  it("feeds the watchdog only while the health check passes", async () => {
    const socket = notifySocket();
    cleanups.push(() => socket.process.kill());
    await waitUntil(() => socket.messages.includes("listening"), "the notify socket");
    const notifier = createServiceNotifier(
      { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: "200000" },
      createLogger({ level: "silent" }),
    );
    let healthy = false;
    notifier.startWatchdog(() => healthy);
    cleanups.push(() => notifier.stopWatchdog());
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(socket.messages).not.toContain("WATCHDOG=1");
    healthy = true;
    await waitUntil(() => socket.messages.includes("WATCHDOG=1"), "a ping once healthy");
  });

  it("does nothing without NOTIFY_SOCKET, and no watchdog for another WATCHDOG_PID", async () => {
    const sent: string[] = [];
    const command = async (state: string) => {
      sent.push(state);
    };
    const logger = createLogger({ level: "silent" });
    const silent = createServiceNotifier({}, logger, command);
    await silent.ready();
    await silent.stopping();
    silent.startWatchdog(() => true);
    const other = createServiceNotifier(
      { NOTIFY_SOCKET: "/run/x", WATCHDOG_USEC: "2000", WATCHDOG_PID: "1" },
      logger,
      command,
      4242,
    );
    other.startWatchdog(() => true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    other.stopWatchdog();
    await other.ready();
    expect(sent).toEqual(["READY=1"]);
  });
});
