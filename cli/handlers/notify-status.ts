import { existsSync } from "node:fs";
import { InvalidArgumentError } from "commander";
import type { Delivery } from "../../notify/delivery-store.js";
import { DeliveryStore, hasNotifyTables } from "../../notify/delivery-store.js";
import { openDatabase } from "../../platform/database/database.js";
import { escapeLine } from "../ops/escape-control.js";
import { gateTimeFormatter } from "../ops/gate-time.js";
import { printJson } from "../output.js";
import { loadNotifyConfigFile } from "./notify-load.js";

/** Most deliveries `--limit` lists per state. */
const MAX_LIMIT = 1_000;

function deliveryJson(d: Delivery) {
  return {
    notice: d.noticeId,
    guardian: d.guardian,
    channel: d.channel,
    person: d.person,
    gate: d.gate,
    direction: d.direction,
    passedAt: new Date(d.passedAt).toISOString(),
    attempts: d.attempts,
    queuedAt: new Date(d.createdAt).toISOString(),
    ...(d.state === "pending"
      ? { nextAttemptAt: new Date(d.nextAt).toISOString() }
      : { doneAt: d.doneAt === undefined ? null : new Date(d.doneAt).toISOString() }),
    lastError: d.lastError ?? null,
  };
}

/**
 * `passgate notify status`: counts by state, refusals by reason, and the deliveries waiting
 * and given up, read from the notifier's database (read-only: nothing is created or changed).
 */
export async function notifyStatus(
  file: string,
  options: { readonly json?: boolean; readonly limit: string; readonly utc?: boolean },
): Promise<void> {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT)
    throw new InvalidArgumentError(
      `--limit ${escapeLine(options.limit)} is invalid: expected 0 to ${MAX_LIMIT}`,
    );
  const config = loadNotifyConfigFile(file);
  if (!existsSync(config.database))
    throw new Error(
      `no notifier database at ${config.database} yet: start the notifier (passgate notify run) first`,
    );
  const db = openDatabase(config.database, { readonly: true });
  try {
    if (!hasNotifyTables(db))
      throw new Error(`${config.database} is not a notifier database: check database: in ${file}`);
    const store = new DeliveryStore(db);
    const counts = store.counts();
    const pending = store.list("pending", limit);
    const failed = store.list("failed", limit);
    if (options.json === true) {
      printJson({
        counts: { pending: counts.pending, sent: counts.sent, failed: counts.failed },
        refused: counts.refused,
        pending: pending.map(deliveryJson),
        failed: failed.map(deliveryJson),
      });
      return;
    }
    const time = gateTimeFormatter(config.timeZone, options.utc);
    const refused = Object.entries(counts.refused);
    const lines = [
      `deliveries: ${counts.sent} sent, ${counts.pending} waiting, ${counts.failed} given up`,
      `refused: ${refused.length === 0 ? "none" : refused.map(([reason, n]) => `${reason} ${n}`).join(", ")}`,
    ];
    const row = (d: Delivery, when: string) =>
      `  ${escapeLine(d.guardian)}  ${d.channel}  ${escapeLine(d.person)}  ${d.gate} ${d.direction}  attempts ${d.attempts}  ${when}  ${escapeLine(d.lastError ?? "")}`.trimEnd();
    if (pending.length > 0) {
      lines.push(
        `waiting (${pending.length}${counts.pending > pending.length ? ` of ${counts.pending}` : ""}):`,
      );
      for (const d of pending) lines.push(row(d, `next ${time(d.nextAt)}`));
    }
    if (failed.length > 0) {
      lines.push(
        `given up (${failed.length}${counts.failed > failed.length ? ` of ${counts.failed}` : ""}, newest first):`,
      );
      for (const d of failed) lines.push(row(d, `at ${d.doneAt === undefined ? "-" : time(d.doneAt)}`));
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    db.close();
  }
}
