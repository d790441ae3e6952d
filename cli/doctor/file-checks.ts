import type { Config } from "../../config/schema.js";
import { databaseFiles } from "../../platform/database/private-files.js";
import { type CheckResult, fail, ok, warn } from "./doctor-check.js";
import type { DoctorPorts } from "./doctor-ports.js";

/** Bits a secret file may have at most: 0640 (owner rw, group r). */
const SECRET_MAX_MODE = 0o640;

const octal = (mode: number) => `0${(mode & 0o777).toString(8).padStart(3, "0")}`;

/** The config file is not writable by everyone (anyone could then open the gate to anyone). */
export function checkConfigFile(file: string, ports: DoctorPorts): CheckResult {
  const facts = ports.stat(file);
  if (facts === undefined) return fail("config-permissions", `${file} not found`, "pass --config FILE");
  if ((facts.mode & 0o002) !== 0)
    return fail(
      "config-permissions",
      `${file} is world-writable (${octal(facts.mode)})`,
      `chmod o-w ${file}`,
    );
  return ok("config-permissions", `${file} ${octal(facts.mode)}, not world-writable`);
}

/**
 * Secret files (registry token, MQTT password): at most 0640, owned by the service user
 * (`serviceUser`, or this process's user when there is no such user, as on a laptop).
 */
export function checkSecretFiles(config: Config, serviceUser: string, ports: DoctorPorts): CheckResult[] {
  const secrets: [string, string][] = [];
  if (config.registry?.tokenFile !== undefined)
    secrets.push(["registry.tokenFile", config.registry.tokenFile]);
  if (config.mqtt?.passwordFile !== undefined) secrets.push(["mqtt.passwordFile", config.mqtt.passwordFile]);
  const ownerUid = ports.uidOf(serviceUser) ?? ports.ownUid;
  return secrets.map(([key, file]) => {
    const id = `secret:${key}`;
    const facts = ports.stat(file);
    if (facts === undefined)
      return fail(id, `${key} ${file} does not exist`, `create it (mode 0640) or fix ${key}`);
    if ((facts.mode & ~SECRET_MAX_MODE & 0o777) !== 0)
      return fail(
        id,
        `${key} ${file} is ${octal(facts.mode)}: others may read or change it`,
        `chmod 0640 ${file}`,
      );
    if (facts.uid !== ownerUid)
      return warn(
        id,
        `${key} ${file} is owned by uid ${facts.uid}, not ${serviceUser} (uid ${ownerUid})`,
        `chown ${serviceUser} ${file}`,
      );
    if (!ports.access(file, false))
      return fail(
        id,
        `${key} ${file} cannot be read by this user`,
        `run doctor as ${serviceUser}, or chown it`,
      );
    return ok(id, `${key} ${octal(facts.mode)}, owned by ${serviceUser}`);
  });
}

/**
 * The database and its -wal and -shm files hold every TOTP secret: 0600. The gate narrows
 * its own files when it opens them; this finds the ones it could not (another owner's, or
 * a gate that has not started since an older passgate left them readable).
 */
export function checkDatabaseFiles(config: Config, ports: DoctorPorts): CheckResult {
  const loose = databaseFiles(config.storage.path).flatMap((file) => {
    const mode = ports.stat(file)?.mode;
    return mode !== undefined && (mode & 0o077) !== 0 ? [{ file, mode }] : [];
  });
  if (loose.length > 0)
    return fail(
      "db-permissions",
      `${loose.map((l) => `${l.file} is ${octal(l.mode)}`).join(", ")}: the database holds every TOTP secret and others may read it`,
      `chmod 600 ${loose.map((l) => l.file).join(" ")}`,
    );
  return ok("db-permissions", "the database's files are 0600");
}
