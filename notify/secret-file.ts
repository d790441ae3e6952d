import { readFileSync, statSync } from "node:fs";

/** Largest secret file read: a password or an HMAC key is a line, not a document. */
const MAX_SECRET_BYTES = 4_096;

/** A secret file that cannot be used, with what to do; never with the secret in it. */
export class SecretFileError extends Error {
  readonly code = "SECRET_FILE";
}

/**
 * Reads a password or shared secret from `file`, without its trailing line ending (as
 * `echo secret > file` leaves it). Refuses, like a key file, a file others may read (it
 * must be 0600 or 0400), one larger than 4 KB, and one shorter than `minBytes`.
 */
export function readSecretFile(file: string, what: string, minBytes = 1): Buffer {
  let text: Buffer;
  try {
    const { mode, size } = statSync(file);
    if (process.platform !== "win32" && (mode & 0o077) !== 0)
      throw new SecretFileError(
        `${what} ${file} may be read by others (mode ${(mode & 0o777).toString(8)}): chmod 600 ${file}`,
      );
    if (size > MAX_SECRET_BYTES)
      throw new SecretFileError(`${what} ${file} is larger than ${MAX_SECRET_BYTES} bytes`);
    text = readFileSync(file);
  } catch (err) {
    if (err instanceof SecretFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new SecretFileError(`cannot read ${what} ${file} (${code})`);
  }
  const secret = Buffer.from(text.toString("utf8").replace(/\r?\n$/, ""), "utf8");
  if (secret.length < minBytes)
    throw new SecretFileError(`${what} ${file} is shorter than ${minBytes} bytes: write a longer one`);
  return secret;
}
