import type { Command } from "commander";

/** The options of `passgate sim relay`, as commander hands them over. */
export interface SimRelayOptions {
  kind: string;
  topic: string;
  broker: string;
  autoOff: string;
}

/** The options of `passgate sim scanner`. */
export interface SimScannerOptions {
  pty: string;
  terminator: string;
}

/**
 * `passgate sim relay` and `passgate sim scanner`: the emulated relay board and serial
 * scanner the tests use, started by hand, so a bench without hardware needs no code.
 */
export function registerSimDeviceCommands(sim: Command): void {
  sim
    .command("relay")
    .description("emulate a relay board on MQTT: answers the gate's pulses as the real board does")
    .requiredOption("--kind <kind>", "tasmota | shelly-gen1 | shelly-gen2 | generic")
    .requiredOption("--topic <topic>", "the board's topic or id, as in the relay's config (--relay-topic)")
    .option("--broker <url>", "MQTT broker", "mqtt://127.0.0.1:1883")
    .option("--auto-off <ms>", "shelly-gen1 only: the board's Auto OFF time, ms (0: none)", "1000")
    .addHelpText(
      "after",
      `
Prints "online" once connected, then one line per open (when, for how long) until
Ctrl-C. Exit codes: 0 stopped by Ctrl-C or SIGTERM, 1 the broker could not be reached,
2 usage error.

Examples:
  passgate sim relay --kind tasmota --topic turnstile-1 --broker mqtt://127.0.0.1:1883
  passgate sim relay --kind shelly-gen2 --topic shellyplus1-a8032ab1c2d4`,
    )
    .action(async (opts: SimRelayOptions) => {
      const { runSimRelay } = await import("../handlers/sim-relay.js");
      await runSimRelay(opts);
    });

  sim
    .command("scanner")
    .description("emulate a USB serial scanner on a pseudo-terminal: each line read on stdin is one scan")
    .requiredOption("--pty <path>", "where the scanner's device node appears (the reader's serial path)")
    .option("--terminator <t>", "what ends each scan: cr | lf | crlf", "cr")
    .addHelpText(
      "after",
      `
Makes PATH a serial port (with socat) that a reader configured as serial:PATH reads,
as it would read /dev/ttyACM0. Type or paste a code and press Enter, or pipe the
codes in. Each scan is shown masked (its first characters and length). Runs until
Ctrl-C, also after stdin ends. Exit codes: 0 stopped, 1 the pty could not be made
(socat missing, PATH taken), 2 usage error.

Examples:
  passgate sim scanner --pty /tmp/pg-scanner
  passgate sim phone --credential 42 --totp-secret GEZDGNBVGY3TQOJQ | passgate sim scanner --pty /tmp/pg-scanner`,
    )
    .action(async (opts: SimScannerOptions) => {
      const { runSimScanner } = await import("../handlers/sim-scanner.js");
      await runSimScanner(opts);
    });
}
