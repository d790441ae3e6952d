import { type JournalRecord, systemRecord } from "../journal/journal-entry.js";

/**
 * The journal record of a relay test pulse (`passgate relay test`, or the MQTT `pulse`
 * request, with `by` the roster member who signed it), written before the pulse so its
 * entry id can travel with the command.
 */
export function testPulseRecord(
  gate: string,
  relay: string,
  at: number,
  source?: "cli",
  by?: string,
): JournalRecord {
  return systemRecord({
    at,
    gate,
    reason: "test_pulse",
    data: { relay, ...(source === undefined ? {} : { source }), ...(by === undefined ? {} : { by }) },
  });
}
