import { createHash } from "node:crypto";
import { ApplyRefusal } from "../allowlist/apply-failure.js";
import { parseJsonLine } from "../allowlist/body-line-parser.js";
import { parseHeader, parseLine, parseTrailer } from "../allowlist/body-lines.js";
import { importRegistryKey, verifyBodySignature } from "../allowlist/body-signature.js";
import { type RosterMember, rosterMemberSchema } from "./roster-member.js";

/** The roster's body format (site-roster.md); also its signature's domain prefix. */
export const ROSTER_FORMAT = "pg-roster/1";
/** A roster is small; a larger body is refused before it is read. */
export const MAX_ROSTER_BYTES = 1024 * 1024;
/** Members a roster may list. */
export const MAX_ROSTER_MEMBERS = 10_000;

/** A roster the registry signed, checked whole. */
export interface VerifiedRoster {
  readonly version: number;
  /** Epoch ms. */
  readonly issuedAt: number;
  readonly members: readonly RosterMember[];
}

export type RosterReading =
  | ({ readonly ok: true } & VerifiedRoster)
  | { readonly ok: false; readonly reason: string; readonly message: string };

/**
 * Reads and checks a roster body (site-roster.md): the allowlist's framing with format
 * `pg-roster/1`, always a snapshot, `count` member lines, a trailer whose SHA-256 covers
 * every byte before it and whose signature, by a registry key the gate trusts, covers
 * `pg-roster/1` and that digest. Every member must be valid and ids unique. Whether the
 * version is newer than the one in force is the store's to check. Nothing is applied here.
 */
export function readRosterBody(
  body: Buffer,
  expect: { readonly site: string; readonly trustedKeys: Readonly<Record<string, string>> },
): RosterReading {
  try {
    return { ok: true, ...readOrThrow(body, expect) };
  } catch (err) {
    if (err instanceof ApplyRefusal) return { ok: false, reason: err.code, message: err.message };
    throw err;
  }
}

function readOrThrow(
  body: Buffer,
  expect: { readonly site: string; readonly trustedKeys: Readonly<Record<string, string>> },
): VerifiedRoster {
  if (body.length > MAX_ROSTER_BYTES)
    throw new ApplyRefusal("line_too_long", `the roster is larger than ${MAX_ROSTER_BYTES} bytes`);
  if (body.length === 0 || body[body.length - 1] !== 0x0a)
    throw new ApplyRefusal("truncated", "the roster does not end with a complete line");
  const lines: { start: number; end: number }[] = [];
  for (let start = 0; start < body.length; ) {
    const end = body.indexOf(0x0a, start);
    lines.push({ start, end });
    start = end + 1;
  }
  const line = (i: number) => {
    const l = lines[i];
    if (l === undefined) throw new ApplyRefusal("truncated", "the roster ends early");
    return parseLine(parseJsonLine(body.subarray(l.start, l.end)), i + 1);
  };
  const header = parseHeader(line(0), ROSTER_FORMAT);
  if (header.site !== expect.site)
    throw new ApplyRefusal(
      "wrong_site",
      `the roster is for site "${header.site.slice(0, 64)}", this gate is in "${expect.site}"`,
    );
  if (header.kind !== "snapshot" || header.from !== null)
    throw new ApplyRefusal("bad_header", "a roster is always a whole snapshot");
  if (header.count > MAX_ROSTER_MEMBERS)
    throw new ApplyRefusal("bad_header", `a roster lists at most ${MAX_ROSTER_MEMBERS} members`);
  const members: RosterMember[] = [];
  const ids = new Set<string>();
  for (let i = 1; i <= header.count; i++) {
    const value = line(i);
    if (value.type !== "member")
      throw new ApplyRefusal(
        "count_mismatch",
        `line ${i + 1} is not a member line (count says ${header.count})`,
      );
    const parsed = rosterMemberSchema.safeParse(value.member);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ApplyRefusal(
        "bad_record",
        `line ${i + 1}: the member is not valid: ${issue?.path.join(".") ?? ""} ${issue?.message ?? ""}`.trim(),
      );
    }
    if (ids.has(parsed.data.id))
      throw new ApplyRefusal("bad_record", `line ${i + 1}: member ${parsed.data.id} is listed twice`);
    ids.add(parsed.data.id);
    members.push(parsed.data);
  }
  const trailerIndex = header.count + 1;
  const trailerValue = line(trailerIndex);
  if (trailerValue.type !== "trailer")
    throw new ApplyRefusal(
      trailerValue.type === "member" ? "count_mismatch" : "missing_trailer",
      `line ${trailerIndex + 1} is not the trailer`,
    );
  if (lines.length > trailerIndex + 1)
    throw new ApplyRefusal("data_after_trailer", "the roster goes on after its trailer");
  const trailer = parseTrailer(trailerValue, trailerIndex + 1);
  const signedEnd = lines[trailerIndex]?.start ?? 0;
  const digest = createHash("sha256").update(body.subarray(0, signedEnd)).digest();
  if (digest.toString("hex") !== trailer.sha256)
    throw new ApplyRefusal("digest_mismatch", "the roster's SHA-256 does not match its trailer");
  const trusted = expect.trustedKeys[trailer.keyId];
  const key = trusted === undefined ? undefined : importRegistryKey(trusted);
  if (key === undefined)
    throw new ApplyRefusal(
      "unknown_key",
      `the roster is signed by key "${trailer.keyId.slice(0, 64)}", which this gate does not trust (registry.trustedKeys)`,
    );
  if (!verifyBodySignature(digest, trailer.signature, key, ROSTER_FORMAT))
    throw new ApplyRefusal("bad_signature", "the roster's signature does not verify");
  return { version: header.to, issuedAt: header.issuedAt, members };
}
