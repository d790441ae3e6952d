import type { Config } from "../../config/schema.js";
import { printJson } from "../output.js";
import { relayTargetOf } from "../setup/relay-spec.js";

/** `passgate relay list`: the configured relays with their reader, board and pulse length. */
export function relayList(config: Config, options: { readonly json: boolean }): void {
  const relays = config.relays.map((r) => ({
    id: r.id,
    reader: r.reader,
    driver: r.driver,
    board: relayTargetOf(r.driver),
    pulseMs: r.pulse,
  }));
  if (options.json) {
    printJson(relays);
    return;
  }
  if (relays.length === 0) {
    process.stdout.write("no relays configured (passgate relay add)\n");
    return;
  }
  for (const r of relays) {
    process.stdout.write(`${r.id}  reader ${r.reader}  ${r.board}  pulse ${r.pulseMs} ms\n`);
  }
}
