import type { Command } from "commander";
import { helpAfter, UTC_HELP } from "../output.js";

/**
 * The notifier's config: --config, else $PASSGATE_NOTIFY_CONFIG, else ./passgate-notify.yaml.
 * Written here, not taken from notify/notify-config.ts, so the wiring loads no schema.
 */
function notifyConfigFile(program: Command): string {
  return (
    program.opts<{ config?: string }>().config ||
    process.env.PASSGATE_NOTIFY_CONFIG ||
    "./passgate-notify.yaml"
  );
}

/** The options of `passgate notify init`, as commander parsed them. */
export interface NotifyInitOptions {
  readonly site?: string;
  readonly broker?: string;
  readonly timezone?: string;
  readonly database?: string;
  readonly output?: string;
  readonly force?: boolean;
}

/**
 * `passgate notify init|run|status|test`: the service that tells guardians who consented
 * when their child passes a gate (docs/notices.md). It runs beside the broker, not on a
 * gate, and its config is not the gate's.
 */
export function registerNotifyCommand(program: Command): void {
  const notify = program
    .command("notify")
    .description("guardian notices: e-mail and webhook messages when a child passes a gate");
  helpAfter(notify, {
    notes:
      "The notifier's config is --config, else $PASSGATE_NOTIFY_CONFIG, else ./passgate-notify.yaml. See docs/notices.md.",
    examples: [
      "passgate notify init --site school-7 --broker mqtt://127.0.0.1:1883 --timezone Europe/Moscow",
      "passgate notify run",
      "passgate notify status",
      "passgate notify test --guardian p-77",
    ],
  });

  const init = notify
    .command("init")
    .description("write a first, commented notifier config (0640)")
    .option("--site <site>", "the site id, as the gates have it", "my-site")
    .option("--broker <url>", "the site's broker", "mqtt://127.0.0.1:1883")
    .option("--timezone <tz>", "the guardians' time zone (IANA), for the time in a notice", "Europe/Moscow")
    .option("--database <file>", "the delivery queue (SQLite), relative to the config's folder", "notify.db")
    .option("--output <file>", "where to write it (default: the config path)")
    .option("--force", "replace an existing file")
    .action(async (options: NotifyInitOptions) => {
      const { notifyInit } = await import("../handlers/notify-init.js");
      notifyInit(options.output ?? notifyConfigFile(program), options);
    });
  helpAfter(init, {
    notes: "Then write the guardians file and the gates' roster it names, and the secrets (docs/notices.md).",
    exitCodes: "0 written; 1 not written (the file exists, a value is invalid)",
    examples: [
      "passgate notify init --site school-7 --timezone Europe/Moscow",
      "passgate -c /etc/passgate/passgate-notify.yaml notify init --database /var/lib/passgate-notify/notify.db",
    ],
  });

  const run = notify
    .command("run")
    .description("run the notifier: hear the gates' notices, deliver them, retry until sent")
    .action(async () => {
      const { notifyRun } = await import("../handlers/notify-run.js");
      await notifyRun(notifyConfigFile(program));
    });
  helpAfter(run, {
    exitCodes:
      "0 stopped by a signal; 1 the config, the guardians file, the roster, a secret or the database cannot be used",
    examples: ["passgate notify run", "passgate -c /etc/passgate/passgate-notify.yaml notify run"],
  });

  const status = notify
    .command("status")
    .description("deliveries sent, waiting and given up; refused notices by reason; the queue")
    .option(
      "--json",
      "print {counts: {pending, sent, failed}, refused: {reason: n}, pending: […], failed: […]}",
    )
    .option("--limit <n>", "deliveries listed per state", "20")
    .option("--utc", UTC_HELP)
    .action(async (options: { json?: boolean; limit: string; utc?: boolean }) => {
      const { notifyStatus } = await import("../handlers/notify-status.js");
      await notifyStatus(notifyConfigFile(program), options);
    });
  helpAfter(status, {
    exitCodes: "0 shown; 1 the config or the database cannot be read; 2 a bad --limit",
    examples: [
      "passgate notify status",
      "passgate notify status --json | jq .refused",
      "passgate notify status --json | jq '.failed[] | {guardian, channel, lastError}'",
    ],
  });

  const test = notify
    .command("test")
    .description("send a test notice to one guardian now, on each of their channels")
    .requiredOption("--guardian <id>", "the guardian's id in the guardians file, e.g. p-77")
    .option("--json", "print {guardian, results: [{channel, ok, error?}]}")
    .action(async (options: { guardian: string; json?: boolean }) => {
      const { notifyTest } = await import("../handlers/notify-test.js");
      await notifyTest(notifyConfigFile(program), options);
    });
  helpAfter(test, {
    notes: "Nothing is queued or counted: the test goes out directly, once, and the result is printed.",
    exitCodes:
      "0 sent on every channel; 1 a channel failed, or the guardian is unknown, without consent or without a channel",
    examples: ["passgate notify test --guardian p-77", "passgate notify test --guardian p-77 --json"],
  });
}
