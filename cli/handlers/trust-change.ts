import type { Command } from "commander";
import { withGateDatabase } from "../../app/gate-database.js";
import { keyFingerprint } from "../../daemon/trust/key-file.js";
import { type RosterMember, rosterMemberSchema } from "../../daemon/trust/roster-member.js";
import { RosterChangeError, RosterStore } from "../../daemon/trust/roster-store.js";
import type { CliContext } from "../cli-context.js";
import type { TrustAddOptions } from "../commands/trust-command.js";
import { usageError } from "../output.js";

/** The member `trust add` was given: the record, or the options. An invalid one is a usage error. */
function memberFrom(command: Command, id: string | undefined, o: TrustAddOptions): RosterMember {
  let candidate: Record<string, unknown>;
  if (o.record !== undefined) {
    try {
      candidate = { status: "active", ...(JSON.parse(o.record) as Record<string, unknown>) };
    } catch {
      usageError(
        command,
        "--record: not a JSON object (give the member record passgate keys show --json prints)",
      );
    }
  } else {
    candidate = {
      id,
      kind: o.kind,
      publicKey: o.publicKey,
      gate: o.gate,
      readers: o.readers,
      roles: o.roles,
      gates: o.gates,
      displayName: o.name,
      status: "active",
    };
    for (const k of Object.keys(candidate)) if (candidate[k] === undefined) delete candidate[k];
  }
  const parsed = rosterMemberSchema.safeParse(candidate);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join(".") || "member"}: ${i.message}`)
      .join("; ");
    usageError(command, `not a valid member: ${problems}`);
  }
  return parsed.data;
}

/** `passgate trust add`: adds or replaces a local member, active. */
export async function trustAdd(
  ctx: CliContext,
  command: Command,
  id: string | undefined,
  options: TrustAddOptions,
): Promise<void> {
  const member = memberFrom(command, id, options);
  const config = await ctx.config();
  try {
    const done = withGateDatabase(config.storage, "write", (db) =>
      RosterStore.open(db).addLocal(member, Date.now()),
    );
    process.stdout.write(`${done} ${member.id} (${member.kind}, key ${keyFingerprint(member.publicKey)})\n`);
  } catch (err) {
    if (!(err instanceof RosterChangeError)) throw err;
    process.stderr.write(`passgate: ${err.message}\n`);
    process.exitCode = 1;
  }
}

/** `passgate trust remove`: removes a local member. */
export async function trustRemove(ctx: CliContext, id: string): Promise<void> {
  const config = await ctx.config();
  try {
    const done = withGateDatabase(config.storage, "write", (db) => RosterStore.open(db).removeLocal(id));
    if (done === "absent") {
      process.stderr.write(`passgate: no member ${JSON.stringify(id)} in the roster (passgate trust list)\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`removed ${id}\n`);
  } catch (err) {
    if (!(err instanceof RosterChangeError)) throw err;
    process.stderr.write(`passgate: ${err.message}\n`);
    process.exitCode = 1;
  }
}
