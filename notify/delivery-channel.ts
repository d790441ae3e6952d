import type { Guardian } from "./guardian-directory.js";

/** A notice as a channel sends it: the facts, and the text already written in Russian. */
export interface OutgoingNotice {
  /** The gate journal entry's id; the same for every guardian and every retry. */
  readonly noticeId: string;
  readonly person: string;
  /** The child's name, cleaned of control characters; undefined when the gate sent none. */
  readonly name: string | undefined;
  readonly gate: string;
  readonly direction: "in" | "out";
  /** Epoch ms of the passage. */
  readonly at: number;
}

/**
 * Why a delivery attempt failed, in a few words fit for `status` and the log: never the
 * guardian's address, the webhook's URL or a password. `permanent` when trying again cannot
 * help (the mail server refused the address for good, the receiver answered 4xx).
 */
export class DeliveryError extends Error {
  readonly code = "DELIVERY_FAILED";
  constructor(
    message: string,
    readonly permanent = false,
  ) {
    super(message);
  }
}

/**
 * One way of reaching a guardian (e-mail, webhook). Every implementation must:
 * - resolve once the notice was handed over (the mail server took it, the receiver
 *   answered 2xx), and only then;
 * - reject with a `DeliveryError` otherwise, within the timeout it was made with, and
 *   never follow a redirect or put an address or a secret in the error;
 * - keep no state between calls that a failed attempt could leave broken.
 */
export interface DeliveryChannel {
  readonly kind: "email" | "webhook";
  send(notice: OutgoingNotice, guardian: Guardian): Promise<void>;
  /** Releases connections; called once, when the service stops. */
  close(): Promise<void>;
}
