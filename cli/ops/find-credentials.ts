import type { Credential } from "../../daemon/allowlist/credential.js";
import { credentialIdSchema } from "../../daemon/allowlist/credential.js";
import { decodeCredential } from "../../daemon/allowlist/credential-row.js";
import { CREDENTIAL_TABLE } from "../../daemon/allowlist/sqlite-allowlist-staging.js";
import type { SqliteAllowlistStore } from "../../daemon/allowlist/sqlite-allowlist-store.js";
import type { Db } from "../../platform/database/database.js";

/** More credentials than one person plausibly holds; a lookup stops there. */
export const MAX_CREDENTIALS_PER_PERSON = 100;

/**
 * The credentials `what` names: the credential with that id (when it is a credential id),
 * and every credential of the person with that id. A person lookup scans the allowlist
 * (the row's first element is the person, credential-row.ts): fine for a tool, about a
 * second for 10⁶ credentials, never on the decision path.
 */
export function findCredentials(db: Db, store: SqliteAllowlistStore, what: string): Credential[] {
  const found = new Map<string, Credential>();
  // The regex first: the schema's range check would throw on text that is not digits.
  if (/^\d{1,20}$/.test(what) && credentialIdSchema.safeParse(what).success) {
    const byId = store.get(what);
    if (byId !== undefined) found.set(byId.id, byId);
  }
  const rows = db
    .prepare<[string, number], { id: string; body: string }>(
      `SELECT id, body FROM ${CREDENTIAL_TABLE} WHERE body IS NOT NULL AND json_extract(body, '$[0]') = ? LIMIT ?`,
    )
    .iterate(what, MAX_CREDENTIALS_PER_PERSON);
  for (const row of rows) if (!found.has(row.id)) found.set(row.id, decodeCredential(row.id, row.body));
  return [...found.values()];
}
