import { randomUUID } from "node:crypto";
import { DeliveryError } from "../../notify/delivery-channel.js";
import { loadGuardianDirectory } from "../../notify/guardian-directory.js";
import { createChannels } from "../../notify/notify-app.js";
import { systemClock } from "../../platform/clock.js";
import { escapeLine } from "../ops/escape-control.js";
import { printJson } from "../output.js";
import { loadNotifyConfigFile } from "./notify-load.js";

/**
 * `passgate notify test --guardian ID`: sends one test notice to the guardian on each
 * channel they have and this config can use, now, outside the queue; prints each result.
 * A guardian without consent gets nothing, as in service.
 */
export async function notifyTest(
  file: string,
  options: { readonly guardian: string; readonly json?: boolean },
): Promise<void> {
  const config = loadNotifyConfigFile(file);
  const directory = loadGuardianDirectory(config.guardians);
  const guardian = directory.get(options.guardian);
  const who = escapeLine(options.guardian);
  if (guardian === undefined) throw new Error(`no guardian ${who} in ${config.guardians}`);
  if (!guardian.consent)
    throw new Error(
      `guardian ${who} has not consented (consent: false in ${config.guardians}): nothing is sent`,
    );
  const channels = createChannels(config, systemClock);
  const usable = directory.channels(guardian).filter((kind) => channels.has(kind));
  if (usable.length === 0)
    throw new Error(
      `guardian ${who} has no channel this notifier can use: give them an email (with smtp: configured) or a webhook (with webhook: configured)`,
    );
  const results: { channel: string; ok: boolean; error?: string }[] = [];
  try {
    for (const kind of usable) {
      const channel = channels.get(kind);
      if (channel === undefined) continue;
      try {
        await channel.send(
          {
            noticeId: randomUUID(),
            person: "test",
            name: "Проверка уведомлений: ваш ребёнок",
            gate: "test",
            direction: "in",
            at: systemClock.now(),
          },
          guardian,
        );
        results.push({ channel: kind, ok: true });
      } catch (err) {
        results.push({
          channel: kind,
          ok: false,
          error: err instanceof DeliveryError ? err.message : "unexpected error",
        });
      }
    }
  } finally {
    for (const channel of channels.values()) await channel.close();
  }
  if (options.json === true) printJson({ guardian: guardian.id, results });
  else
    for (const r of results)
      process.stdout.write(`${r.channel}: ${r.ok ? "sent" : `FAILED (${escapeLine(r.error ?? "")})`}\n`);
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}
