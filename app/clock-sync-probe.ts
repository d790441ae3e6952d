import { execFile } from "node:child_process";

/**
 * Asks whether the system clock is NTP-synchronised: true / false, or undefined when the
 * gate cannot tell. The running gate's clock watch uses it (components/clock-watch.ts);
 * tests pass their own.
 */
export type ClockSyncProbe = () => Promise<boolean | undefined>;

/**
 * systemd's answer, `timedatectl show -p NTPSynchronized --value` (`yes` / `no`), the same
 * question `passgate doctor`'s clock check asks (cli/doctor/doctor-ports.ts, a layer above:
 * not importable from here). Undefined without systemd (a container, no timedatectl), when
 * it fails or does not answer within 5 s.
 */
export const timedatectlProbe: ClockSyncProbe = () =>
  new Promise((resolve) => {
    execFile(
      "timedatectl",
      ["show", "-p", "NTPSynchronized", "--value"],
      { timeout: 5_000, encoding: "utf8" },
      (err, stdout) => {
        const answer = err === null ? stdout.trim() : undefined;
        resolve(answer === "yes" ? true : answer === "no" ? false : undefined);
      },
    );
  });
