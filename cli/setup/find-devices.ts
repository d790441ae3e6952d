import { describeError } from "../../platform/log/describe-error.js";
import { nodeHidSystem } from "../../reader-bridge/hid-system.js";
import { type ListedReader, listReaders } from "../../reader-bridge/reader-listing.js";
import { nodeSerialSystem } from "../../reader-bridge/serial-system.js";

/**
 * The serial ports and HID devices present, for the reader question; none when listing
 * fails. Their config snippets use a reader id that is not in `takenIds`.
 */
export async function findDevices(takenIds: readonly string[] = []): Promise<ListedReader[]> {
  const warn = (what: string) => (err: unknown) => {
    process.stderr.write(`passgate: cannot list ${what}: ${describeError(err).message}\n`);
    return [];
  };
  const [ports, hids] = await Promise.all([
    nodeSerialSystem().list().catch(warn("serial ports")),
    nodeHidSystem().devices().catch(warn("HID devices")),
  ]);
  return listReaders(ports, hids, takenIds);
}
