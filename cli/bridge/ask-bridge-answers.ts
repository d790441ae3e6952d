import { createInterface } from "node:readline";
import type { ListedReader } from "../../reader-bridge/reader-listing.js";
import { parseReaderSpec } from "./reader-spec.js";

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** What `bridge init` needs; the flags given are not asked again. */
export interface BridgeAnswers {
  site?: string | undefined;
  gate?: string | undefined;
  name?: string | undefined;
  broker?: string | undefined;
  gateKey?: string | undefined;
  reader: string[];
}

/** The answers still missing, by their flag. */
export function missingBridgeAnswers(a: BridgeAnswers): string[] {
  const missing: string[] = [];
  if (a.site === undefined) missing.push("--site");
  if (a.gate === undefined) missing.push("--gate");
  if (a.name === undefined) missing.push("--name");
  if (a.broker === undefined) missing.push("--broker");
  if (a.reader.length === 0) missing.push("--reader");
  return missing;
}

/**
 * Asks, on a terminal, for what the flags did not give: one question at a time, a wrong
 * answer explained and asked again; the scanners found are offered by number. The streams
 * are injected so a test drives it as a person would.
 */
export async function askBridgeAnswers(
  io: { readonly input: NodeJS.ReadableStream; readonly output: NodeJS.WritableStream },
  given: BridgeAnswers,
  devices: readonly ListedReader[],
): Promise<Required<Omit<BridgeAnswers, "gateKey">> & { gateKey?: string | undefined }> {
  const rl = createInterface({ input: io.input, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const say = (text: string) => io.output.write(`${text}\n`);
  const ask = async (question: string, fallback: string, check: (a: string) => string | undefined) => {
    for (;;) {
      io.output.write(`${question}${fallback === "" ? "" : ` [${fallback}]`}: `);
      const line = await lines.next();
      if (line.done === true)
        throw new Error(`bridge init cancelled: no answer to "${question}"; nothing written`);
      const answer = String(line.value).trim() || fallback;
      const problem = check(answer);
      if (problem === undefined) return answer;
      say(`  ${problem}`);
    }
  };
  const name = (a: string) => (NAME.test(a) ? undefined : "use letters, digits, _ . - (at most 64)");
  try {
    const site = given.site ?? (await ask("Site id", "", name));
    const gate = given.gate ?? (await ask("The gate this bridge feeds", "", name));
    const bridgeName =
      given.name ?? (await ask("This bridge's name (its roster id is bridge:<name>)", "", name));
    const broker =
      given.broker ??
      (await ask("The site's MQTT broker URL", "", (a) =>
        /^(mqtts?|wss?|tcp|ssl):\/\/.+/.test(a) ? undefined : "expected mqtt://host:1883 or mqtts://…",
      ));
    const gateKey =
      given.gateKey ??
      (await ask("The gate's public key (passgate keys show on the gate; Enter: later)", "", (a) =>
        a === "" || /^[A-Za-z0-9_-]{43}$/.test(a) ? undefined : "expected 43 base64url characters",
      ));
    const reader = [...given.reader];
    if (reader.length === 0) {
      if (devices.length > 0) {
        say("Scanners found on this board:");
        devices.forEach((d, i) => {
          const ids = d.vendorId === undefined ? "" : ` ${d.vendorId}:${d.productId ?? "????"}`;
          say(`  ${i + 1}) ${d.kind} ${d.path}${ids} ${d.description}`);
        });
      }
      for (;;) {
        const spec = await ask(
          reader.length === 0
            ? "Reader (ID:DIRECTION:SOURCE, e.g. in:in:serial-usb:0c2e:0b61, or ID:DIRECTION:<number> above)"
            : "Another reader (Enter: done)",
          "",
          (a) => {
            if (a === "") return reader.length === 0 ? "a bridge needs at least one reader" : undefined;
            try {
              parseReaderSpec(fromDevice(a, devices));
              return undefined;
            } catch (err) {
              return err instanceof Error ? err.message : String(err);
            }
          },
        );
        if (spec === "") break;
        reader.push(fromDevice(spec, devices));
      }
    }
    return { site, gate, name: bridgeName, broker, reader, ...(gateKey === "" ? {} : { gateKey }) };
  } finally {
    rl.close();
  }
}

/** `in:in:2` → the second device found, as a source spec. */
function fromDevice(spec: string, devices: readonly ListedReader[]): string {
  const m = /^([^:]+):([^:]+):(\d+)$/.exec(spec);
  const d = m === null ? undefined : devices[Number(m[3]) - 1];
  if (m === null || d === undefined) return spec;
  const usb =
    d.vendorId === undefined
      ? undefined
      : `${d.vendorId}${d.productId === undefined ? "" : `:${d.productId}`}`;
  const source =
    d.kind === "serial"
      ? usb === undefined
        ? `serial:${d.path}`
        : `serial-usb:${usb}`
      : `hid-${d.mode === "keyboard" ? "keyboard" : "pos"}:${usb ?? ""}`;
  return `${m[1]}:${m[2]}:${source}`;
}
