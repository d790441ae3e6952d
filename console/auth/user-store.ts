import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Db } from "../../platform/database/database.js";
import type { Role } from "../api.js";
import { hashPassword, verifyPassword } from "./passwords.js";

export const usernameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "expected 1–64 letters, digits, dots, dashes or underscores");
export const roleSchema = z.enum(["guard", "admin"]);

export interface ConsoleUser {
  readonly username: string;
  readonly role: Role;
  readonly createdAt: number;
  /** When the password was last set: sessions begun before it are over. */
  readonly passwordSetAt: number;
}

/** The console's users in its database; only scrypt hashes of their passwords are kept. */
export class UserStore {
  private decoy: Promise<string> | undefined;

  constructor(private readonly db: Db) {}

  get(username: string): ConsoleUser | undefined {
    const row = this.db
      .prepare(
        "SELECT username, role, created_at AS createdAt, password_set_at AS passwordSetAt FROM console_user WHERE username = ?",
      )
      .get(username) as ConsoleUser | undefined;
    return row;
  }

  list(): ConsoleUser[] {
    return this.db
      .prepare(
        "SELECT username, role, created_at AS createdAt, password_set_at AS passwordSetAt FROM console_user ORDER BY username",
      )
      .all() as ConsoleUser[];
  }

  /** Adds a user; false when the name is taken. */
  async add(username: string, role: Role, password: string, now: number): Promise<boolean> {
    const hash = await hashPassword(password);
    const info = this.db
      .prepare(
        "INSERT INTO console_user (username, role, password_hash, created_at, password_set_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      )
      .run(username, role, hash, now, now);
    return info.changes === 1;
  }

  /** Sets a new password, which ends the user's sessions; false when there is no such user. */
  async setPassword(username: string, password: string, now: number): Promise<boolean> {
    const hash = await hashPassword(password);
    return (
      this.db
        .prepare("UPDATE console_user SET password_hash = ?, password_set_at = ? WHERE username = ?")
        .run(hash, now, username).changes === 1
    );
  }

  remove(username: string): boolean {
    return this.db.prepare("DELETE FROM console_user WHERE username = ?").run(username).changes === 1;
  }

  /**
   * The user when `password` is theirs, else undefined, for an unknown name and a wrong
   * password alike and in about the same time: an unknown name is checked against a decoy
   * hash, so the answer's timing does not tell which users exist.
   */
  async check(username: string, password: string): Promise<ConsoleUser | undefined> {
    const row = this.db
      .prepare("SELECT password_hash AS hash FROM console_user WHERE username = ?")
      .get(username) as { hash: string } | undefined;
    if (row === undefined) {
      this.decoy ??= hashPassword(randomBytes(18).toString("base64url"));
      await verifyPassword(password, await this.decoy);
      return undefined;
    }
    return (await verifyPassword(password, row.hash)) ? this.get(username) : undefined;
  }
}
