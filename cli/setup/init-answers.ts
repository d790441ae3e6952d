import { existsSync } from "node:fs";
import type { ReaderSpec } from "./reader-spec.js";
import type { RelayKind } from "./relay-spec.js";

/** Everything `passgate init` needs to write a config, from flags or from the questions. */
export interface InitAnswers {
  readonly site: string;
  readonly gate: string;
  readonly timezone: string;
  readonly storagePath: string;
  /** Without `url`: no sync, but the keys that sign the allowlists imported by hand. */
  readonly registry?: {
    readonly url?: string | undefined;
    readonly tokenFile?: string | undefined;
    readonly trustedKeys: Readonly<Record<string, string>>;
  };
  readonly broker?: string | undefined;
  readonly readers: readonly ReaderSpec[];
  readonly relay?: { readonly kind: RelayKind; readonly target?: string | undefined };
}

/** The machine's own IANA time zone, the default answer. */
export function machineTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/**
 * Where the database goes: the system place when this runs as root or a package made it
 * (so the service user finds it), else next to the config, for a trial in a home folder.
 */
export function defaultStoragePath(isRoot = process.getuid?.() === 0, exists = existsSync): string {
  return isRoot || exists("/var/lib/passgate") ? "/var/lib/passgate/passgate.db" : "./var/passgate.db";
}

/** The gate's signing key goes beside its database: the service user's own folder. */
export function keyFileBeside(storagePath: string): string {
  const slash = storagePath.lastIndexOf("/");
  return slash < 0 ? "gate.key" : `${storagePath.slice(0, slash + 1)}gate.key`;
}

/** `id=KEY` of --trusted-key; throws with the reason. */
export function parseTrustedKey(text: string): [string, string] {
  const at = text.indexOf("=");
  if (at <= 0)
    throw new Error(`--trusted-key "${text.slice(0, 20)}…": expected ID=KEY (key id = base64url key)`);
  return [text.slice(0, at), text.slice(at + 1)];
}
