import { createReadStream } from "node:fs";
import { applyAllowlistBody } from "../../daemon/allowlist/apply-body.js";
import { describeImport, inForce } from "../ops/allowlist-text.js";
import { escapeLine } from "../ops/escape-control.js";
import { type OpenAllowlistStore, withAllowlistStore } from "./allowlist-store.js";

/**
 * `passgate allowlist import <file>`: verifies a signed registry body and applies it on the
 * database opened for writing. Exit code 1 when the body is refused, 2 when the file (or
 * the database) cannot be read; the allowlist in force is unchanged then.
 */
export async function allowlistImport(open: OpenAllowlistStore, file: string, now: number): Promise<void> {
  await withAllowlistStore(open, "write", async (env, store) => {
    const result = await applyAllowlistBody(store, createReadStream(file), {
      site: env.site,
      trustedKeys: env.trustedKeys,
      now,
    });
    if (result.ok) {
      process.stdout.write(`${describeImport(result, env.site)}\n`);
      return;
    }
    process.stderr.write(
      `allowlist import refused (${result.reason}): ${escapeLine(result.message)}; the allowlist in force is unchanged (${inForce(store.stats())})\n`,
    );
    // An unreadable file is bad input (2); a body that fails its checks is a refusal (1).
    process.exitCode = result.reason === "read_error" ? 2 : 1;
  });
}
