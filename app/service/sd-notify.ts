import { execFile } from "node:child_process";
import { describeError } from "../../platform/log/describe-error.js";
import type { Logger } from "../../platform/log/logger.js";

/**
 * Tells the service manager (systemd, `Type=notify`) what the gate is doing. Every
 * implementation must never throw and never block the event loop; a notification that
 * cannot be sent is logged.
 */
export interface ServiceNotifier {
  /** Started: readers, relays and the journal are up (`READY=1`). */
  ready(): Promise<void>;
  /** A SIGHUP reload begins (`RELOADING=1`); `ready()` ends it. */
  reloading(): Promise<void>;
  /** A clean stop begins (`STOPPING=1`). */
  stopping(): Promise<void>;
  /**
   * Starts the watchdog: every half `WATCHDOG_USEC` runs `healthy` and sends
   * `WATCHDOG=1` only when it returns true, so a gate whose event loop or database is
   * stuck is restarted by systemd. Does nothing when systemd asked for no watchdog.
   */
  startWatchdog(healthy: () => boolean): void;
  stopWatchdog(): void;
}

/** Sends `state` to the notify socket `socket` and resolves when it was taken; tests pass their own. */
export type NotifyCommand = (state: string, socket: string) => Promise<void>;

/** What the notifier reads of the environment systemd gave the process. */
export interface NotifyEnv {
  readonly NOTIFY_SOCKET?: string | undefined;
  readonly WATCHDOG_USEC?: string | undefined;
  readonly WATCHDOG_PID?: string | undefined;
}

/**
 * `systemd-notify STATE`: Node has no unix datagram sockets, so the notification goes
 * through systemd's own tool. It waits (a `BARRIER=1` after the message) until systemd
 * has read the message, so systemd still finds the sender in the service's cgroup;
 * because the sender is a child process, the unit needs `NotifyAccess=all`.
 */
export const systemdNotify: NotifyCommand = (state, socket) =>
  new Promise((resolve, reject) => {
    const env = { ...process.env, NOTIFY_SOCKET: socket };
    execFile("systemd-notify", [state], { timeout: 5_000, env }, (err) =>
      err === null ? resolve() : reject(err),
    );
  });

/** The notifier for this process: a no-op without `NOTIFY_SOCKET` (not under systemd). */
export function createServiceNotifier(
  env: NotifyEnv,
  logger: Logger,
  command: NotifyCommand = systemdNotify,
  pid = process.pid,
): ServiceNotifier {
  const socket = env.NOTIFY_SOCKET;
  if (socket === undefined || socket === "") return new SilentNotifier();
  const usec = Number(env.WATCHDOG_USEC);
  // As sd_watchdog_enabled(): the watchdog is for WATCHDOG_PID when it is set.
  const forUs = env.WATCHDOG_PID === undefined || env.WATCHDOG_PID === "" || Number(env.WATCHDOG_PID) === pid;
  const intervalMs =
    Number.isFinite(usec) && usec > 0 && forUs ? Math.max(1, Math.floor(usec / 2000)) : undefined;
  return new SystemdNotifier((state) => command(state, socket), intervalMs, logger);
}

class SilentNotifier implements ServiceNotifier {
  async ready(): Promise<void> {}
  async reloading(): Promise<void> {}
  async stopping(): Promise<void> {}
  startWatchdog(): void {}
  stopWatchdog(): void {}
}

class SystemdNotifier implements ServiceNotifier {
  private timer: NodeJS.Timeout | undefined;
  /** A failed health check is logged once per run of failures, not every interval. */
  private unhealthyLogged = false;

  constructor(
    private readonly command: (state: string) => Promise<void>,
    private readonly intervalMs: number | undefined,
    private readonly logger: Logger,
  ) {}

  ready(): Promise<void> {
    return this.send("READY=1");
  }

  reloading(): Promise<void> {
    return this.send("RELOADING=1");
  }

  stopping(): Promise<void> {
    return this.send("STOPPING=1");
  }

  startWatchdog(healthy: () => boolean): void {
    if (this.intervalMs === undefined || this.timer !== undefined) return;
    this.logger.info({ intervalMs: this.intervalMs }, "systemd watchdog on");
    this.timer = setInterval(() => {
      if (!healthy()) {
        if (!this.unhealthyLogged)
          this.logger.error("health check failed: the systemd watchdog is not fed and will restart the gate");
        this.unhealthyLogged = true;
        return;
      }
      this.unhealthyLogged = false;
      void this.send("WATCHDOG=1");
    }, this.intervalMs);
    this.timer.unref();
  }

  stopWatchdog(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async send(state: string): Promise<void> {
    try {
      await this.command(state);
    } catch (err) {
      this.logger.error({ state, err: describeError(err) }, "systemd notification not sent");
    }
  }
}
