import { accessSync, constants, existsSync, readFileSync, statfsSync, statSync } from "node:fs";
import type { IClientOptions } from "mqtt";
import { connect } from "mqtt";
import { ntpSynchronized } from "../../platform/ntp-synchronized.js";
import type { ListedReader } from "../../reader-bridge/reader-listing.js";

/** What a file looks like to the permission checks. */
export interface FileFacts {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/**
 * Everything `passgate doctor` asks of the machine, so tests decide what the machine says
 * (disk space, the clock daemon, devices) while the checks stay real code. `systemPorts()`
 * is the machine itself; only the doctor command creates it.
 */
export interface DoctorPorts {
  /** Mode and owner of a file; undefined when it does not exist. */
  stat(path: string): FileFacts | undefined;
  /** Whether this process may read (and, with `write`, write) `path`. */
  access(path: string, write: boolean): boolean;
  readText(path: string): string | undefined;
  /** Bytes free to an unprivileged user on the filesystem holding `path`. */
  freeBytes(path: string): number;
  /** `timedatectl show -p NTPSynchronized --value`: "yes"/"no", or undefined when it cannot be run. */
  ntpSynchronized(): Promise<string | undefined>;
  /** Serial ports and HID devices present. */
  listDevices(): Promise<ListedReader[]>;
  /** uid of a user by name, undefined when there is no such user. */
  uidOf(user: string): number | undefined;
  /** uid of this process. */
  readonly ownUid: number;
  /** Connects to the broker and closes again; resolves with undefined on success, else the reason. */
  mqttConnect(url: string, options: IClientOptions, timeoutMs: number): Promise<string | undefined>;
  fetch: typeof fetch;
}

/** The machine itself. */
export function systemPorts(listDevices: () => Promise<ListedReader[]>): DoctorPorts {
  return {
    stat: (path) => {
      if (!existsSync(path)) return undefined;
      const s = statSync(path);
      return { mode: s.mode & 0o7777, uid: s.uid, gid: s.gid };
    },
    access: (path, write) => {
      try {
        accessSync(path, write ? constants.R_OK | constants.W_OK : constants.R_OK);
        return true;
      } catch {
        // EACCES, ENOENT, EROFS…: all mean "this process cannot"; the check says which path.
        return false;
      }
    },
    readText: (path) => (existsSync(path) ? readFileSync(path, "utf8") : undefined),
    freeBytes: (path) => {
      const s = statfsSync(path);
      return s.bavail * s.bsize;
    },
    ntpSynchronized,
    listDevices,
    uidOf: (user) => {
      const passwd = existsSync("/etc/passwd") ? readFileSync("/etc/passwd", "utf8") : "";
      const line = passwd.split("\n").find((l) => l.startsWith(`${user}:`));
      const uid = line?.split(":")[2];
      return uid === undefined ? undefined : Number(uid);
    },
    ownUid: process.getuid?.() ?? 0,
    mqttConnect: (url, options, timeoutMs) => mqttConnectOnce(url, options, timeoutMs),
    fetch,
  };
}

/** One MQTT connect attempt, no retries, closed at once. */
export function mqttConnectOnce(
  url: string,
  options: IClientOptions,
  timeoutMs: number,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const client = connect(url, { ...options, connectTimeout: timeoutMs, reconnectPeriod: 0 });
    let settled = false;
    const finish = (reason: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end(true);
      resolve(reason);
    };
    const timer = setTimeout(() => finish(`no CONNACK within ${timeoutMs} ms`), timeoutMs);
    client.once("connect", () => finish(undefined));
    client.once("error", (err) => finish(err.message));
    client.once("close", () => finish("connection closed"));
  });
}
