import type { KeyObject } from "node:crypto";
import {
  encodeEd25519Token,
  encodeTotpToken,
  type TotpSecret,
  totpValue,
} from "../../daemon/verify/pg1-encoder.js";

/** What a phone holds for one credential: the scheme's secret and the period, as the registry synced them. */
export type PhoneCredential =
  | {
      readonly id: string | bigint;
      readonly scheme: "totp";
      readonly totp: TotpSecret;
      /** Seconds per time step; default 30. */
      readonly period?: number;
    }
  | {
      readonly id: string | bigint;
      readonly scheme: "ed25519";
      /** The phone's own key; it never leaves the phone. */
      readonly privateKey: KeyObject;
      readonly period?: number;
    };

const DEFAULT_PERIOD_S = 30;

/**
 * One phone showing one credential's rotating code, as the mobile app does: the code
 * changes at each time step boundary. Time is passed in, so the same phone can show
 * the code of any moment (a screenshot replayed later, a phone with a skewed clock).
 */
export class Phone {
  constructor(private readonly credential: PhoneCredential) {}

  /** Seconds per time step. */
  get period(): number {
    return this.credential.period ?? DEFAULT_PERIOD_S;
  }

  /** The time step `T = floor(unix_seconds / period)` at epoch ms `nowMs`. */
  stepAt(nowMs: number): number {
    return Math.floor(nowMs / 1000 / this.period);
  }

  /** Epoch ms at which the code shown at `nowMs` is replaced by the next one. */
  nextChangeAt(nowMs: number): number {
    return (this.stepAt(nowMs) + 1) * this.period * 1000;
  }

  /** The PG1 text the phone shows at epoch ms `nowMs`. A live token: never log it. */
  codeAt(nowMs: number): string {
    return this.codeForStep(this.stepAt(nowMs));
  }

  /** The PG1 text for time step `step`. */
  codeForStep(step: number): string {
    const c = this.credential;
    return c.scheme === "totp"
      ? encodeTotpToken(c.id, step, totpValue(c.totp, step))
      : encodeEd25519Token(c.id, step, c.privateKey);
  }
}
