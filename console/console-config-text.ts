/**
 * The commented config `passgate console init` writes: every setting with what it is for,
 * so a site's admin edits a file instead of reading the reference first.
 */
export function consoleConfigText(options: {
  readonly site: string;
  readonly operator: string;
  readonly keyFile: string;
  readonly brokerUrl: string;
  readonly timeZone: string;
  /** Where the database goes; default `console.db` beside the config. */
  readonly databasePath?: string;
}): string {
  return `# passgate console: the guard's desk of one site (docs/console.md).
# Check it by starting it:  passgate console run --config THIS_FILE
# Relative file paths are read from this file's folder. Unknown keys are errors.

# The site id, as in the gates' configs. Required.
site: ${options.site}

# IANA time zone every time on the page is shown in. Default: this machine's.
timeZone: ${options.timeZone}

# The site's broker, as the gates reach it. Give the console its own account
# (passgate broker acl writes one for each operator of the roster).
mqtt:
  url: ${options.brokerUrl}
  # username: operator-${options.operator}
  # passwordFile: console-mqtt.password   # the password alone, in a 0600 file
  # tls:
  #   ca: ca.pem
  # topicPrefix: passgate                 # as the gates' mqtt.topicPrefix

# Where the web page is served. Loopback (127.0.0.1) needs no TLS; any other
# address does, and the console refuses to start without it:
listen: 127.0.0.1:8480
# tls:
#   cert: console.crt
#   key: console.key                       # 0600

# The roster member the console signs its requests as (operator:${options.operator}).
# Make the key with:   passgate keys init --operator ${options.operator} --output ${options.keyFile}
# and add it at every gate:  passgate trust add --operator ${options.operator} --role guard ...
# (role admin as well for mode changes from the desk).
operator:
  name: ${options.operator}
  keyFile: ${options.keyFile}

# The console's own database: users, alarms, today's decisions (0600). The systemd unit
# (scripts/passgate-console.service) may write only in /var/lib/passgate-console.
database:
  path: ${options.databasePath ?? "console.db"}
`;
}
