import { type ZodError, z } from "zod";
import type { AllowlistBodyKind } from "./allowlist-store.js";
import { ApplyRefusal } from "./apply-failure.js";
import { MALFORMED, type ParsedLine } from "./body-line-parser.js";
import { type Credential, credentialIdSchema, credentialSchema } from "./credential.js";

/** The header line of a body, parsed. `issuedAt` is epoch ms. */
export interface BodyHeader {
  readonly format: string;
  readonly site: string;
  readonly kind: AllowlistBodyKind;
  readonly from: number | null;
  readonly to: number;
  readonly issuedAt: number;
  readonly count: number;
}

export type BodyRecord =
  | { readonly type: "put"; readonly credential: Credential }
  | { readonly type: "del"; readonly id: string };

export interface BodyTrailer {
  /** Lowercase hex. */
  readonly sha256: string;
  readonly keyId: string;
  /** base64url */
  readonly signature: string;
}

const version = z.number().int().min(0);

const headerSchema = z.object({
  site: z.string().min(1),
  kind: z.enum(["snapshot", "delta"]),
  from: version.nullable().default(null),
  to: version,
  issuedAt: z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
  count: z.number().int().min(0),
});

const trailerSchema = z.object({
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, "64 hex digits")
    .transform((s) => s.toLowerCase()),
  keyId: z.string().min(1).max(200),
  signature: z.string().regex(/^[A-Za-z0-9_-]+$/, "base64url text"),
});

export type BodyLine = { readonly type?: unknown; readonly [field: string]: unknown };

/** The JSON object a line parsed to (body-line-parser.ts). Never quotes the line: it may hold a TOTP secret. */
export function parseLine(value: ParsedLine, lineNumber: number): BodyLine {
  // JSON.parse's message quotes the text, so the parser drops it and this says why alone.
  if (value === MALFORMED) throw new ApplyRefusal("malformed_line", `line ${lineNumber} is not valid JSON`);
  const json: unknown = value;
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ApplyRefusal("malformed_line", `line ${lineNumber} is not a JSON object`);
  }
  return json as BodyLine;
}

/** Checks the first line: a header, in a format this gate reads. Site and versions are the caller's. */
export function parseHeader(value: BodyLine, format: string): BodyHeader {
  if (value.type !== "header") {
    throw new ApplyRefusal("bad_header", "the body does not start with a header line");
  }
  if (value.format !== format) {
    const found = typeof value.format === "string" ? `"${value.format.slice(0, 40)}"` : "no format";
    throw new ApplyRefusal("wrong_format", `the body is in ${found}, this gate reads "${format}"`);
  }
  const parsed = headerSchema.safeParse(value);
  if (!parsed.success) {
    throw new ApplyRefusal("bad_header", `the header is not valid: ${describeIssues(parsed.error)}`);
  }
  return { format, ...parsed.data };
}

/** A `put` or `del` line. An invalid credential refuses the whole body. */
export function parseRecord(value: BodyLine, lineNumber: number): BodyRecord {
  if (value.type === "put") {
    const parsed = credentialSchema.safeParse(value.credential);
    if (!parsed.success) {
      throw new ApplyRefusal(
        "bad_record",
        `line ${lineNumber}: credential${idFor(value.credential)} is not valid: ${describeIssues(parsed.error)}`,
      );
    }
    return { type: "put", credential: parsed.data };
  }
  if (value.type === "del") {
    const parsed = credentialIdSchema.safeParse(value.id);
    if (!parsed.success) {
      throw new ApplyRefusal("bad_record", `line ${lineNumber}: a del without a valid credential id`);
    }
    return { type: "del", id: parsed.data };
  }
  const what = value.type === "header" ? "a second header" : "neither a put nor a del";
  throw new ApplyRefusal("bad_record", `line ${lineNumber} is ${what}`);
}

export function parseTrailer(value: BodyLine, lineNumber: number): BodyTrailer {
  const parsed = trailerSchema.safeParse(value);
  if (!parsed.success) {
    throw new ApplyRefusal(
      "bad_trailer",
      `the trailer (line ${lineNumber}) is not valid: ${describeIssues(parsed.error)}`,
    );
  }
  return parsed.data;
}

/** Field paths and zod's messages, which name what was expected but do not quote values. */
function describeIssues(error: ZodError): string {
  const [first, ...rest] = error.issues;
  if (first === undefined) return "invalid";
  const path = first.path.length > 0 ? `${first.path.join(".")}: ` : "";
  return `${path}${first.message}${rest.length > 0 ? ` (and ${rest.length} more)` : ""}`;
}

/** " 1001" when the credential names a valid id: ids are not secret and help find the entry. */
function idFor(credential: unknown): string {
  if (typeof credential !== "object" || credential === null || !("id" in credential)) return "";
  const id = credentialIdSchema.safeParse(credential.id);
  return id.success ? ` ${id.data}` : "";
}
