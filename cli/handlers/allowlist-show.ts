import { credentialIdSchema } from "../../daemon/allowlist/credential.js";
import { inForce } from "../ops/allowlist-text.js";
import { credentialJson, formatCredential } from "../ops/credential-text.js";
import { escapeLine } from "../ops/escape-control.js";
import { gateTimeFormatter } from "../ops/gate-time.js";
import { printJson } from "../output.js";
import { type OpenAllowlistStore, withAllowlistStore } from "./allowlist-store.js";

/**
 * `passgate allowlist show <id> [--json]`: one credential as the gate sees it, never its
 * key material, read from the database opened read-only; times in the gate's zone unless `utc`. Exit code 1 when the id is not in
 * the allowlist, 2 when it is not a credential id.
 */
export async function allowlistShow(
  open: OpenAllowlistStore,
  id: string,
  options: { readonly json?: boolean; readonly utc?: boolean },
  now: number,
): Promise<void> {
  await withAllowlistStore(open, "read", (env, store) => {
    if (!credentialIdSchema.safeParse(id).success) {
      process.stderr.write(
        `passgate: "${escapeLine(id)}" is not a credential id — give the decimal id, such as 1001\n`,
      );
      process.exitCode = 2;
      return;
    }
    const credential = store.get(id);
    if (credential === undefined) {
      process.stderr.write(
        `passgate: credential ${id} is not in the allowlist (${inForce(store.stats())}) — check the id, or run "passgate sync now"\n`,
      );
      process.exitCode = 1;
      return;
    }
    if (options.json === true) printJson(credentialJson(credential, now));
    else
      process.stdout.write(
        `${formatCredential(credential, now, gateTimeFormatter(env.timezone, options.utc))}\n`,
      );
  });
}
