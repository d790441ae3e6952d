import { execFile } from "node:child_process";

/**
 * Whether the system clock is NTP-synchronised, as systemd sees it: the output of
 * `timedatectl show -p NTPSynchronized --value` ("yes" / "no"), or undefined when it cannot
 * be run (no systemd, no timedatectl) or does not answer within 3 s. `passgate doctor` and
 * the gate's `passgate_clock_synchronized` gauge ask the same question this way.
 */
export function ntpSynchronized(): Promise<string | undefined> {
  // Not the service's NOTIFY_SOCKET: a systemd tool that fails reports `ERRNO=` to it, which
  // systemd would take as the gate's own status.
  const { NOTIFY_SOCKET: _socket, WATCHDOG_PID: _pid, WATCHDOG_USEC: _usec, ...env } = process.env;
  return new Promise((resolve) => {
    execFile(
      "timedatectl",
      ["show", "-p", "NTPSynchronized", "--value"],
      { timeout: 3000, env },
      (err, stdout) => resolve(err === null ? stdout.trim() : undefined),
    );
  });
}
