import { ntpSynchronized } from "../platform/ntp-synchronized.js";

/**
 * Asks whether the system clock is NTP-synchronised: true / false, or undefined when the
 * gate cannot tell. The running gate's clock watch uses it (components/clock-watch.ts);
 * tests pass their own.
 */
export type ClockSyncProbe = () => Promise<boolean | undefined>;

/**
 * systemd's answer (platform/ntp-synchronized.ts), the same question `passgate doctor`'s
 * clock check and the `passgate_clock_synchronized` gauge ask. Undefined without systemd (a
 * container, no timedatectl), when it fails or does not answer in time.
 */
export const timedatectlProbe: ClockSyncProbe = () =>
  ntpSynchronized().then((answer) => (answer === "yes" ? true : answer === "no" ? false : undefined));
