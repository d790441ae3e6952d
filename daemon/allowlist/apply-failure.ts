/**
 * Why a registry body was refused, roughly in the order the checks run while it streams.
 * docs/allowlist.md says what each means and what to do about it.
 */
export const APPLY_FAILURES = [
  "read_error",
  // The body as sent could not be decoded (sync/body-decoding.ts): its Content-Encoding.
  "unsupported_encoding",
  "bad_encoding",
  "decoded_too_large",
  "expansion_too_high",
  "truncated",
  "line_too_long",
  "malformed_line",
  "bad_header",
  "wrong_format",
  "wrong_site",
  "version_not_newer",
  "delta_from_mismatch",
  "bad_record",
  "count_mismatch",
  "missing_trailer",
  "bad_trailer",
  "data_after_trailer",
  "digest_mismatch",
  "unknown_key",
  "bad_signature",
  "store_error",
] as const;
export type ApplyFailure = (typeof APPLY_FAILURES)[number];

/**
 * Thrown inside the apply to stop at the first failed check, or by the body's source when
 * it cannot decode what was sent (an unknown or corrupt Content-Encoding, a gzip bomb);
 * `applyAllowlistBody` turns it into its result value. `message` is for a facilities person: it never quotes body lines,
 * which may hold TOTP secrets.
 */
export class ApplyRefusal extends Error {
  constructor(
    readonly code: ApplyFailure,
    message: string,
  ) {
    super(message);
  }
}
