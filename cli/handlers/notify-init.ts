import { existsSync } from "node:fs";
import { checkNotifyConfigText } from "../../notify/notify-config.js";
import type { NotifyInitOptions } from "../commands/notify-command.js";
import { writeNewFile } from "../setup/write-new-file.js";

/**
 * The commented config `passgate notify init` writes; every file it names is beside it.
 * The values are written as JSON strings, so none can add a line of YAML of its own.
 */
export function notifyConfigText(site: string, broker: string, timeZone: string, database: string): string {
  return `# passgate notifier: guardian notices by e-mail and webhook (docs/notices.md).
# Check it with: passgate -c <this file> notify status   (reads the config and the queue)

# The site id, as the gates have it; notices come on <topicPrefix>/<site>/notify.
site: ${JSON.stringify(site)}

# The site's broker. Give this service an account of its own that may only read the
# notice topic (docs/notices.md, "Broker account").
mqtt:
  url: ${JSON.stringify(broker)}
  # username: notify
  # passwordFile: broker.password      # one line, chmod 600
  # The broker keeps the notices for this service this long while it is away.
  sessionExpiry: 1h

# The guardians' time zone: the time written in a notice is local time there.
timeZone: ${JSON.stringify(timeZone)}

# The gates whose signed notices are taken: the roster as \`passgate trust list --json\`
# prints it on a gate (only its active gates count), or a list of
# {id: gate:<gate>, publicKey: <key>} records.
gates: roster.json

# The delivery queue (SQLite); created 0600. Under systemd: /var/lib/passgate-notify/notify.db.
database: ${JSON.stringify(database)}

# Who may get notices, their consent and their channels (docs/notices.md).
guardians: guardians.yaml

# Mail: uncomment and fill in to send notices by e-mail.
# smtp:
#   host: smtp.example.org
#   port: 587
#   secure: false          # true for port 465 (TLS from the start)
#   requireTls: true       # refuse to send over an unencrypted connection
#   username: passgate@example.org
#   passwordFile: smtp.password   # one line, chmod 600
#   from: "School 7 <passgate@example.org>"

# Webhooks (a messenger bot bridge): each request is signed with this secret.
# webhook:
#   secretFile: webhook.secret    # 32 random bytes or more: openssl rand -hex 32 > webhook.secret; chmod 600

delivery:
  timeout: 10s        # one mail or one request
  retryFirst: 5s      # then 10s, 20s … up to retryMax, with jitter
  retryMax: 30m
  giveUpAfter: 24h    # then the delivery is "failed"
  keep: 30d           # sent and failed deliveries are forgotten after this

log:
  level: info
`;
}

/** `passgate notify init`: writes a first config, validated before it is written. */
export function notifyInit(file: string, options: NotifyInitOptions): void {
  if (existsSync(file) && options.force !== true)
    throw new Error(`${file} already exists: give --force to replace it, or --output another file`);
  const text = notifyConfigText(
    options.site ?? "my-site",
    options.broker ?? "mqtt://127.0.0.1:1883",
    options.timezone ?? "Europe/Moscow",
    options.database ?? "notify.db",
  );
  const checked = checkNotifyConfigText(text, file);
  if (!checked.ok) throw checked.error;
  writeNewFile(file, text, options.force === true);
  process.stdout.write(
    `wrote ${file}: site ${checked.config.site}, ${checked.config.timeZone}\n` +
      `next: write ${checked.config.guardians} and ${String(checked.config.gates)}, set up smtp or webhook, then passgate -c ${file} notify run\n`,
  );
}
