import { z } from "zod";
import { type VerifiableCredential, verifiableCredentialSchema } from "../allowlist/credential.js";
import { parseToken } from "./pg1-token.js";
import { TokenVerifier, VERIFICATION_FAILURES, type VerificationFailure } from "./verify-token.js";

/** The format of pass-token-vectors.json: credentials, then cases judged each on its own. */
export const tokenVectorFileSchema = z.object({
  window: z.number().int().min(0).max(10).default(1),
  credentials: z.array(verifiableCredentialSchema),
  cases: z.array(
    z.object({
      name: z.string(),
      token: z.string(),
      /** Unix seconds. */
      now: z.number(),
      result: z.enum(["ok", ...VERIFICATION_FAILURES]),
    }),
  ),
});
export type TokenVectorFile = z.infer<typeof tokenVectorFileSchema>;

export type TokenResult = "ok" | VerificationFailure;

export interface VectorOutcome {
  readonly name: string;
  readonly expected: TokenResult;
  readonly actual: TokenResult;
  readonly pass: boolean;
}

/**
 * Checks a scan text against credentials at `nowMs`: steps 1–5 of pass-token.md with
 * no replay state, exactly what the vectors pin down.
 */
export function checkToken(
  text: string,
  lookup: (id: string) => VerifiableCredential | undefined,
  nowMs: number,
  verifier: TokenVerifier,
): TokenResult {
  const token = parseToken(text);
  if (token === null) return "malformed";
  const result = verifier.verify(token, lookup(token.credentialId), nowMs);
  return result.ok ? "ok" : result.reason;
}

/** Evaluates every case of a vector file, each on its own. */
export function evaluateVectors(file: TokenVectorFile): VectorOutcome[] {
  const byId = new Map(file.credentials.map((c) => [c.id, c]));
  const verifier = new TokenVerifier(file.window);
  return file.cases.map((c) => {
    const actual = checkToken(c.token, (id) => byId.get(id), c.now * 1000, verifier);
    return { name: c.name, expected: c.result, actual, pass: actual === c.result };
  });
}
