import { pbkdf2Sync, randomBytes } from "node:crypto";

/**
 * Mosquitto 2's password hash (src/password_mosq.c `pw__hash`, apps/mosquitto_passwd):
 * PBKDF2-HMAC-SHA512 over the password's bytes with a 12-byte random salt, 64 bytes out,
 * written `$7$<iterations>$<salt base64>$<hash base64>` (standard base64 with padding). The
 * dynamic-security plugin keeps the same three values as separate JSON fields.
 */
export interface PasswordHash {
  readonly iterations: number;
  /** base64 of the 12 salt bytes. */
  readonly salt: string;
  /** base64 of the 64 hash bytes. */
  readonly hash: string;
}

/** mosquitto's salt length (SALT_LEN). */
export const MOSQUITTO_SALT_BYTES = 12;
/**
 * Iterations of our hashes. mosquitto_passwd uses 101; each account's password here is 24
 * random bytes, so iterations add nothing against guessing, and the broker pays them on
 * every connect (a whole site reconnects at once after a broker restart): a modest 1000.
 */
export const PASSWORD_ITERATIONS = 1000;

export function hashPassword(
  password: string,
  iterations = PASSWORD_ITERATIONS,
  salt: Buffer = randomBytes(MOSQUITTO_SALT_BYTES),
): PasswordHash {
  if (salt.length !== MOSQUITTO_SALT_BYTES)
    throw new Error(`a mosquitto salt is ${MOSQUITTO_SALT_BYTES} bytes`);
  const hash = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, 64, "sha512");
  return { iterations, salt: salt.toString("base64"), hash: hash.toString("base64") };
}

/** One line of a mosquitto `password_file`: `user:$7$<iterations>$<salt>$<hash>`. */
export function passwordFileLine(user: string, hash: PasswordHash): string {
  return `${user}:$7$${hash.iterations}$${hash.salt}$${hash.hash}`;
}

/** A new account password: 24 random bytes, base64url (32 characters, no padding). */
export function newPassword(): string {
  return randomBytes(24).toString("base64url");
}
