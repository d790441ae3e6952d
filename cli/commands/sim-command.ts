import type { Command } from "commander";
import { registerSimCampusCommand } from "./sim-campus-command.js";
import { registerSimPhoneCommand } from "./sim-phone-command.js";

/** `passgate sim …`: the simulated campus parts (the phone: sim-phone-command.ts). */
export function registerSimCommand(program: Command): void {
  const sim = program.command("sim").description("simulated campus parts");
  sim.addHelpText(
    "after",
    `
Examples:
  passgate sim phone --credential 42 --totp-secret GEZDGNBVGY3TQOJQ --qr --watch
  passgate sim campus --duration 60 --json`,
  );
  registerSimPhoneCommand(sim);
  registerSimCampusCommand(sim);
}
