import { createInterface } from "node:readline";
import type { ListedReader } from "../../reader-bridge/reader-listing.js";
import type { InitAnswers } from "./init-answers.js";
import { parseReaderOption, type ReaderSource, type ReaderSpec, ReaderSpecError } from "./reader-spec.js";
import { isRelayKind, RELAY_KINDS, type RelayKind, relayTargetLabel } from "./relay-spec.js";

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** What the questions start from: answers already given as flags are not asked again. */
export interface InitQuestionDefaults {
  readonly site?: string | undefined;
  readonly gate?: string | undefined;
  readonly timezone: string;
  readonly storagePath: string;
  readonly broker?: string | undefined;
  readonly registry?: InitAnswers["registry"];
  readonly readers: readonly ReaderSpec[];
  readonly relay?: InitAnswers["relay"];
}

/**
 * Asks for what a first config needs, one question at a time, each with its default in
 * brackets (Enter takes it); a wrong answer is explained and asked again. The streams are
 * injected so the flow can be driven by a test as well as by a person at a terminal.
 */
export async function askInitAnswers(
  io: { readonly input: NodeJS.ReadableStream; readonly output: NodeJS.WritableStream },
  defaults: InitQuestionDefaults,
  devices: readonly ListedReader[],
): Promise<InitAnswers> {
  // Lines are read through the iterator, which buffers them: `question()` would lose
  // answers typed (or piped) ahead of their question.
  const rl = createInterface({ input: io.input, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const say = (text: string) => io.output.write(`${text}\n`);
  const ask = async (question: string, fallback: string, check: (a: string) => string | undefined) => {
    for (;;) {
      const shown = fallback === "" ? "" : ` [${fallback}]`;
      io.output.write(`${question}${shown}: `);
      const line = await lines.next();
      if (line.done === true) throw new Error(`init cancelled: no answer to "${question}"; nothing written`);
      const answer = String(line.value).trim() || fallback;
      const problem = check(answer);
      if (problem === undefined) return answer;
      say(`  ${problem}`);
    }
  };
  const name = (a: string) => (NAME.test(a) ? undefined : "use letters, digits, _ . - (at most 64)");
  try {
    const site = defaults.site ?? (await ask("Site id (as the registry knows it)", "", name));
    const gate = defaults.gate ?? (await ask("Gate id (unique within the site)", "", name));
    const timezone = await ask("Time zone", defaults.timezone, (a) =>
      validTimeZone(a) ? undefined : "expected an IANA time zone such as Europe/Moscow",
    );
    const storagePath = await ask("Database file", defaults.storagePath, (a) =>
      a === "" ? "give a path" : undefined,
    );
    const readers = defaults.readers.length > 0 ? defaults.readers : await askReaders(ask, say, devices);
    const relayKind =
      defaults.relay?.kind ??
      ((await ask(`Relay board (${RELAY_KINDS.join(", ")})`, "tasmota", (a) =>
        isRelayKind(a) ? undefined : `one of ${RELAY_KINDS.join(", ")}`,
      )) as RelayKind);
    const target =
      defaults.relay?.target ??
      (relayKind === "log"
        ? undefined
        : await ask(`Relay board: ${relayTargetLabel(relayKind)}`, "", (a) =>
            /^[^+#/\s]+$/.test(a) ? undefined : "one MQTT topic level: no / + # or spaces",
          ));
    const broker =
      defaults.broker ??
      (relayKind === "log" && readers.every((r) => r.source.type !== "mqtt")
        ? optional(await ask("MQTT broker URL (Enter: none)", "", brokerCheck))
        : await ask("MQTT broker URL", "mqtt://127.0.0.1:1883", brokerCheck));
    const registry = defaults.registry ?? (await askRegistry(ask));
    return {
      site,
      gate,
      timezone,
      storagePath,
      readers,
      relay: { kind: relayKind, target },
      ...(broker === undefined ? {} : { broker }),
      ...(registry === undefined ? {} : { registry }),
    };
  } finally {
    rl.close();
  }
}

type Ask = (question: string, fallback: string, check: (a: string) => string | undefined) => Promise<string>;

function optional(answer: string): string | undefined {
  return answer === "" ? undefined : answer;
}

function brokerCheck(a: string): string | undefined {
  return a === "" || /^(mqtts?|wss?|tcp|ssl):\/\/.+/.test(a)
    ? undefined
    : "expected mqtt://host:1883 or mqtts://…";
}

/** The devices found are offered by number; a source can also be typed as for --reader. */
async function askReaders(ask: Ask, say: (t: string) => void, devices: readonly ListedReader[]) {
  if (devices.length > 0) {
    say("Scanners found on this machine:");
    devices.forEach((d, i) => {
      const ids = d.vendorId === undefined ? "" : ` ${d.vendorId}:${d.productId ?? "????"}`;
      say(
        `  ${i + 1}) ${d.kind} ${d.path}${ids}${d.mode === undefined ? "" : ` (${d.mode})`} ${d.description}`,
      );
    });
  } else say("No scanners found (plug one in and run `passgate reader add` later, or use stdin to try).");
  const fallback = devices.length > 0 ? "1" : "stdin";
  const answer = await ask(
    "Entry reader: a number above, or stdin, serial:PATH, usb:VID:PID, hid:VID:PID, mqtt:TOPIC",
    fallback,
    (a) => {
      try {
        readerFrom(a, devices);
        return undefined;
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    },
  );
  return [{ id: "reader-in", direction: "in" as const, source: readerFrom(answer, devices) }];
}

function readerFrom(answer: string, devices: readonly ListedReader[]): ReaderSource {
  if (/^\d+$/.test(answer)) {
    const d = devices[Number(answer) - 1];
    if (d === undefined) throw new ReaderSpecError(`no device ${answer}`);
    const ids =
      d.vendorId === undefined
        ? undefined
        : { vendorId: d.vendorId, ...(d.productId ? { productId: d.productId } : {}) };
    if (d.kind === "hid" && ids !== undefined) return { type: "hid", mode: d.mode ?? "pos", ...ids };
    if (ids !== undefined) return { type: "serial-usb", ...ids };
    return { type: "serial", path: d.path };
  }
  return parseReaderOption(`in=${answer}`, []).source;
}

async function askRegistry(ask: Ask): Promise<InitAnswers["registry"]> {
  const url = await ask("Registry URL (Enter: none, import allowlists by hand)", "", (a) =>
    a === "" || /^https?:\/\/.+/.test(a) ? undefined : "expected an http(s) URL",
  );
  const keyCheck = (a: string) =>
    /^[^=\s]+=[A-Za-z0-9_-]{43}$/.test(a) ? undefined : "expected key-id=<43 base64url characters>";
  if (url === "") {
    // Without a registry the imported files must still be signed: ask for the key that signs them.
    const key = await ask("Key that signs the allowlists you import, as ID=KEY (Enter: none)", "", (a) =>
      a === "" ? undefined : keyCheck(a),
    );
    if (key === "") return undefined;
    const at = key.indexOf("=");
    return { trustedKeys: { [key.slice(0, at)]: key.slice(at + 1) } };
  }
  const key = await ask("Registry signing key, as ID=KEY (base64url, 43 characters)", "", keyCheck);
  const tokenFile = optional(
    await ask("File holding the gate's registry token (Enter: none)", "", () => undefined),
  );
  const at = key.indexOf("=");
  return { url, tokenFile, trustedKeys: { [key.slice(0, at)]: key.slice(at + 1) } };
}
