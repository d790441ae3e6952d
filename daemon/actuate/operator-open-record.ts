import { type JournalRecord, systemRecord } from "../journal/journal-entry.js";

/** Who opened a lane by hand and why: the signer, the console's user, the reason given. */
export interface OperatorOpen {
  readonly relay: string;
  /** The roster member who signed the `open` request. */
  readonly by: string;
  /** The console's logged-in user, when the request named one. */
  readonly user: string | undefined;
  readonly reason: string;
}

/**
 * The journal record of an operator's `open` request, written before the pulse so its
 * entry id travels with the command (the board acts once per id) and a rotation after it
 * is that open's passage. The reason and user were checked for length and control
 * characters (topics.ts) before they got here.
 */
export function operatorOpenRecord(gate: string, open: OperatorOpen, at: number): JournalRecord {
  return systemRecord({
    at,
    gate,
    reason: "operator_open",
    data: {
      relay: open.relay,
      by: open.by,
      ...(open.user === undefined ? {} : { user: open.user }),
      reason: open.reason,
    },
  });
}
