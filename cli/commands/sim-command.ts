import type { Command } from "commander";
import { registerSimCampusCommand } from "./sim-campus-command.js";
import { registerSimDeviceCommands } from "./sim-device-commands.js";
import { registerSimPhoneCommand } from "./sim-phone-command.js";

/** `passgate sim …`: the simulated campus parts (the phone: sim-phone-command.ts; relay and scanner: sim-device-commands.ts). */
export function registerSimCommand(program: Command): void {
  const sim = program.command("sim").description("simulated campus parts");
  sim.addHelpText(
    "after",
    `
Examples:
  passgate sim phone --credential 42 --totp-secret GEZDGNBVGY3TQOJQ --qr --watch
  passgate sim campus --duration 60 --json
  passgate sim relay --kind tasmota --topic turnstile-1 --broker mqtt://127.0.0.1:1883
  passgate sim scanner --pty /tmp/pg-scanner`,
  );
  registerSimPhoneCommand(sim);
  registerSimCampusCommand(sim);
  registerSimDeviceCommands(sim);
}
