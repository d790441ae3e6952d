import { InvalidArgumentError } from "commander";
import type { DeviceEmulator } from "../../sim/devices/device-emulator.js";
import { GenericRelayEmulator } from "../../sim/devices/generic-relay-emulator.js";
import { ShellyGen1Emulator } from "../../sim/devices/shelly-gen1-emulator.js";
import { ShellyGen2Emulator } from "../../sim/devices/shelly-gen2-emulator.js";
import { TasmotaEmulator } from "../../sim/devices/tasmota-emulator.js";
import type { SimRelayOptions } from "../commands/sim-device-commands.js";
import { escapeControl } from "../ops/escape-control.js";
import { untilStopSignal } from "./until-stop-signal.js";

const KINDS = ["tasmota", "shelly-gen1", "shelly-gen2", "generic"] as const;

function emulatorFor(opts: SimRelayOptions): DeviceEmulator {
  // The same rule as a relay's topic in the config: one MQTT topic level.
  if (!/^[^+#/\s]+$/.test(opts.topic))
    throw new InvalidArgumentError(
      `--topic "${escapeControl(opts.topic)}": one MQTT topic level, no / + # or spaces`,
    );
  const autoOff = Number(opts.autoOff);
  if (!/^\d+$/.test(opts.autoOff) || !Number.isSafeInteger(autoOff))
    throw new InvalidArgumentError("--auto-off: expected whole milliseconds");
  switch (opts.kind) {
    case "tasmota":
      return new TasmotaEmulator(opts.topic);
    case "shelly-gen1":
      return new ShellyGen1Emulator(opts.topic, autoOff);
    case "shelly-gen2":
      return new ShellyGen2Emulator(opts.topic);
    case "generic":
      return new GenericRelayEmulator(opts.topic);
    default:
      throw new InvalidArgumentError(
        `--kind "${escapeControl(opts.kind)}": expected one of ${KINDS.join(", ")}`,
      );
  }
}

/**
 * `passgate sim relay`: runs one emulated relay board (sim/devices/) on the broker until
 * SIGINT or SIGTERM, printing each open it executes.
 */
export async function runSimRelay(opts: SimRelayOptions): Promise<void> {
  const device = emulatorFor(opts);
  const out = process.stdout;
  // The emulator retries forever, as a board does; at start, a broker that is not there is an error.
  const started = device.start(opts.broker);
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(`cannot reach the broker at ${opts.broker} within 10 s`)),
      10_000,
    ).unref(),
  );
  try {
    await Promise.race([started, timeout]);
  } catch (err) {
    await device.stop().catch(() => undefined);
    throw err instanceof Error && err.message.startsWith("cannot reach")
      ? err
      : new Error(
          `cannot reach the broker at ${opts.broker}: ${err instanceof Error ? err.message : String(err)}`,
        );
  }
  device.onOpen = (open) => {
    out.write(
      `${new Date(open.at).toISOString()} open ${open.ms} ms${open.id === undefined ? "" : ` (${escapeControl(open.id)})`}\n`,
    );
  };
  out.write(`relay ${opts.kind} ${opts.topic} on ${opts.broker}: online (Ctrl-C to stop)\n`);
  await untilStopSignal();
  await device.stop();
  out.write("stopped\n");
}
