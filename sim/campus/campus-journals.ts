import { openGateDatabase } from "../../app/gate-database.js";
import { Journal } from "../../daemon/journal/journal.js";
import { DESK_ID } from "./campus-desk.js";

/**
 * A gate's journal after the run: whether its hash chain verifies, and the mode changes and
 * test pulses in it that the guard desk did not sign (nobody else may make them: each is
 * something the gate did for the intruder). The desk's mode requests are refused, so every
 * mode change counts.
 */
export function checkJournal(path: string): { verified: boolean; unsignedActs: number } {
  const db = openGateDatabase({ path, synchronous: "normal" }, "read");
  try {
    const journal = Journal.open(db);
    let unsignedActs = 0;
    for (let seq = 0, batch = journal.since(0, 1_000); batch.length > 0; batch = journal.since(seq, 1_000)) {
      for (const e of batch) {
        seq = e.seq;
        if (e.kind === "mode" || (e.reason === "test_pulse" && e.data.by !== DESK_ID)) unsignedActs++;
      }
    }
    return { verified: journal.verify().ok, unsignedActs };
  } finally {
    db.close();
  }
}
