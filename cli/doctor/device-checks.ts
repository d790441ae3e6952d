import type { ReaderConfig } from "../../config/schema.js";
import type { ListedReader } from "../../reader-bridge/reader-listing.js";
import { configuredReaderFor, describeReaderSource } from "../setup/reader-match.js";
import { type CheckResult, errorText, fail, ok, warn } from "./doctor-check.js";
import type { DoctorPorts } from "./doctor-ports.js";

/** Where the install script puts the udev rules. */
export const UDEV_RULES_PATH = "/etc/udev/rules.d/99-passgate-readers.rules";

/** Each serial or HID reader is present and this user may open it; stdin and MQTT readers need no device. */
export async function checkReaders(
  config: { readonly readers: readonly ReaderConfig[] },
  ports: DoctorPorts,
): Promise<CheckResult[]> {
  const devices = config.readers.filter((r) => r.source.type === "serial" || r.source.type === "hid");
  let listed: ListedReader[] | string | undefined;
  const results: CheckResult[] = [];
  for (const reader of config.readers) {
    const id = `reader:${reader.id}`;
    const source = reader.source;
    if (source.type !== "serial" && source.type !== "hid") {
      results.push(ok(id, `${describeReaderSource(reader)}: no device to check`));
      continue;
    }
    if (source.path !== undefined) {
      results.push(checkDevicePath(id, source.path, ports));
      continue;
    }
    listed ??= await ports.listDevices().catch((err: unknown) => errorText(err));
    results.push(checkListed(id, reader, listed, ports));
  }
  if (devices.length === 0 && config.readers.length === 0)
    results.push(
      warn(
        "readers",
        "no readers configured: the gate never opens",
        "passgate reader add (see reader list --present)",
      ),
    );
  return results;
}

function checkDevicePath(id: string, path: string, ports: DoctorPorts): CheckResult {
  if (ports.stat(path) === undefined)
    return fail(
      id,
      `${path} does not exist`,
      "plug the reader in, or run passgate reader list --present for its path",
    );
  if (!ports.access(path, true))
    return fail(
      id,
      `${path} is present but not readable and writable by this user`,
      `install the udev rules (${UDEV_RULES_PATH}) and replug`,
    );
  return ok(id, `${path} present, read/write`);
}

function checkListed(
  id: string,
  reader: ReaderConfig,
  listed: ListedReader[] | string,
  ports: DoctorPorts,
): CheckResult {
  if (typeof listed === "string")
    return warn(id, `cannot list devices: ${listed}`, "check the reader with passgate reader test");
  const device = listed.find((d) => configuredReaderFor(d, [reader]) === reader.id);
  if (device === undefined)
    return fail(
      id,
      `${describeReaderSource(reader)} not found`,
      "plug it in; passgate reader list --present shows what is there",
    );
  if (ports.stat(device.path) !== undefined && !ports.access(device.path, true))
    return fail(
      id,
      `${device.path} (${describeReaderSource(reader)}) not readable and writable by this user`,
      `install the udev rules (${UDEV_RULES_PATH}) and replug`,
    );
  return ok(id, `${describeReaderSource(reader)} present at ${device.path}`);
}

/**
 * The udev rules for readers are installed and the same as the shipped ones (only needed
 * with serial/HID readers). Without them, a gate whose every serial/HID reader this user
 * already opens (`readerResults` from checkReaders: each ok) is not failed: the group
 * gives the access the rules would (a lab bench's pty, a port in `dialout`).
 */
export function checkUdevRule(
  config: { readonly readers: readonly ReaderConfig[] },
  shipped: string | undefined,
  ports: DoctorPorts,
  readerResults: readonly CheckResult[] = [],
): CheckResult {
  const needed = config.readers.some((r) => r.source.type === "serial" || r.source.type === "hid");
  const installed = ports.readText(UDEV_RULES_PATH);
  const install = `sudo install -m 0644 scripts/99-passgate-readers.rules /etc/udev/rules.d/ && sudo udevadm control --reload && sudo udevadm trigger`;
  if (installed === undefined) {
    if (!needed) return ok("udev", "no serial or HID readers: udev rules not needed");
    const deviceReaders = config.readers.filter((r) => r.source.type === "serial" || r.source.type === "hid");
    const readable = deviceReaders.every(
      (r) => readerResults.find((c) => c.id === `reader:${r.id}`)?.status === "ok",
    );
    return readable
      ? ok(
          "udev",
          `${UDEV_RULES_PATH} not installed, but this user already opens every reader (install it for the stable /dev/passgate names)`,
        )
      : fail(
          "udev",
          `${UDEV_RULES_PATH} is not installed: the service user cannot open the readers`,
          install,
        );
  }
  if (shipped !== undefined && installed.trim() !== shipped.trim())
    return warn(
      "udev",
      `${UDEV_RULES_PATH} differs from scripts/99-passgate-readers.rules`,
      `compare them (diff) and reinstall if yours is older: ${install}`,
    );
  return ok("udev", `${UDEV_RULES_PATH} installed`);
}
