import { stringify } from "yaml";
import { type InitAnswers, keyFileBeside } from "./init-answers.js";
import { readerConfigOf } from "./reader-spec.js";
import { relayDriverOf } from "./relay-spec.js";

/** A value as YAML on one line: plain where that reads back the same, quoted otherwise. */
function y(value: unknown): string {
  return stringify(value, { flow: true, lineWidth: 0 }).trimEnd();
}

/**
 * The config `passgate init` writes: the answers, with a comment on every section saying
 * what it is for and what else it can hold, in the words of config/example.yaml, so the
 * person who opens it next (often not the one who wrote it) can change it without the docs.
 */
export function renderInitConfig(a: InitAnswers, now: Date): string {
  const lines: string[] = [
    `# passgate config of gate ${a.gate} at site ${a.site}, written by \`passgate init\` on ${now.toISOString().slice(0, 10)}.`,
    "#",
    "# Check it:       passgate --config <this file> config check",
    "# Change a value: passgate --config <this file> config set policy.lockout.attempts 8",
    "#                 (or passgate gate set / reader add / relay add)",
    "# Full reference: docs/config.md; config/example.yaml shows every key.",
    "# Durations are a number and a unit: 500ms, 30s, 5m, 12h or 7d. Relative paths are",
    "# read from the directory of this file.",
    "",
    "# The site id the registry knows; all gates of a site share replay and anti-passback state.",
    `site: ${y(a.site)}`,
    "",
    "# This gate's id, unique within the site.",
    `gate: ${y(a.gate)}`,
    "",
    "# IANA time zone of the gate: schedules and holidays are read in it.",
    `timezone: ${y(a.timezone)}`,
    "",
    "# The local database: allowlist, journal and gate state (SQLite).",
    "storage:",
    `  path: ${y(a.storagePath)}`,
    "  # normal, or full: also syncs on every commit (slower; nothing lost on a power cut).",
    "  synchronous: normal",
    "",
    "# This gate's own signing key for the site roster (docs/trust.md): made with this file by",
    "# passgate init (or passgate keys init), readable only by passgate. `passgate keys show`",
    "# prints its public key and the member record the registry or the other gates need.",
    "trust:",
    `  keyFile: ${y(keyFileBeside(a.storagePath))}`,
    "",
    "# Readers: where scans come from (docs/readers.md). `passgate reader list --present`",
    "# shows the scanners plugged in; `passgate reader add` adds one; `passgate reader test <id>`",
    "# shows its scans live.",
  ];
  if (a.readers.length === 0) lines.push("readers: []");
  else {
    lines.push("readers:");
    for (const r of a.readers) {
      const c = readerConfigOf(r);
      lines.push(`  - id: ${y(c.id)}`, "    # in or out: which way a person granted here goes.");
      lines.push(`    direction: ${c.direction}`, `    source: ${y(c.source)}`);
    }
  }
  lines.push(
    "",
    "# Relays: what opens the turnstile, each following the grants of one reader",
    "# (docs/relays.md). `passgate relay test <id>` sends a test pulse and shows the board's answer.",
  );
  const firstReader = a.readers[0];
  if (a.relay === undefined || firstReader === undefined) lines.push("relays: []");
  else {
    lines.push(
      "relays:",
      "  - id: turnstile",
      "    # The reader whose grants pulse this relay.",
      `    reader: ${y(firstReader.id)}`,
      "    # log (writes to the log only), tasmota, shelly-gen1, shelly-gen2 or generic (over MQTT).",
      `    driver: ${y(relayDriverOf(a.relay.kind, a.relay.target))}`,
      "    # How long the relay is held open.",
      "    pulse: 1s",
    );
  }
  lines.push("", "# MQTT broker: relay boards, status, events and remote commands (docs/mqtt.md).");
  if (a.broker === undefined) {
    lines.push(
      "# Absent: the gate runs without a broker (only `log` relays and local readers).",
      "# mqtt:",
      "#   url: mqtt://127.0.0.1:1883",
    );
  } else {
    lines.push(
      "mqtt:",
      `  url: ${y(a.broker)}`,
      "  # Also possible: username, passwordFile (a file holding the password), tls: { ca, cert, key },",
      "  # confirmTimeout (how long a board may take to confirm a pulse; default 3s).",
    );
  }
  lines.push("", "# The registry that issues passes and publishes the allowlist (docs/sync.md).");
  if (a.registry === undefined) {
    lines.push(
      "# Absent: the gate runs from an allowlist imported with `passgate allowlist import`.",
      "# registry:",
      "#   url: https://registry.example.edu",
      "#   tokenFile: /etc/passgate/registry-token",
      "#   trustedKeys: { <key id>: <base64url Ed25519 public key> }",
    );
  } else {
    lines.push("registry:");
    if (a.registry.url === undefined) {
      lines.push(
        "  # No url: this gate does not sync. It runs from allowlists imported with",
        "  # `passgate allowlist import`, which must be signed by one of the keys below.",
        "  # url: https://registry.example.edu",
      );
    } else lines.push(`  url: ${y(a.registry.url)}`);
    if (a.registry.tokenFile !== undefined) {
      lines.push("  # File holding the gate's bearer token (the token never sits in this file).");
      lines.push(`  tokenFile: ${y(a.registry.tokenFile)}`);
    }
    lines.push("  # Signing keys this gate trusts, by key id; list two during a key rotation.");
    lines.push("  trustedKeys:");
    for (const [id, key] of Object.entries(a.registry.trustedKeys)) lines.push(`    ${y(id)}: ${y(key)}`);
    if (a.registry.url !== undefined)
      lines.push("  # How often the allowlist is fetched.", "  pollInterval: 60s");
  }
  lines.push(
    "",
    "# Loopback HTTP endpoint: Prometheus /metrics, /health and /status (docs/operations.md).",
    "http:",
    "  listen: 127.0.0.1:9464",
    "",
    "# Who may pass, and when (`passgate policy show` says it in words).",
    "policy:",
    "  # The zone this gate guards; anti-passback is kept per person per zone.",
    "  zone: campus",
    "  # normal (apply the rules), lockdown (nobody passes) or free (everybody passes).",
    "  mode: normal",
    "  # Named weekly opening windows in the gate's time zone; `to` is not included.",
    "  schedules:",
    "    daytime:",
    "      - days: [mon, tue, wed, thu, fri]",
    '        from: "07:00"',
    '        to: "22:00"',
    "  # Checked in order; the first rule that admits the credential lets it pass.",
    "  # A rule matches roles or zone grants, directions (default in and out), a",
    "  # schedule (default any time) and minAssurance (simplified, standard, confirmed).",
    "  rules:",
    "    - name: staff",
    "      roles: [staff]",
    "    - name: students",
    "      roles: [student]",
    "      schedule: daytime",
    "  # Dates (YYYY-MM-DD) on which rules with a schedule do not open.",
    "  holidays: []",
    "  # off, hard (a second entry in a row is denied), soft (granted, flagged) or timed.",
    "  antiPassback:",
    "    mode: soft",
    "  # Bad tokens for one credential at one reader within `within` lock it out there for `lockFor`.",
    "  lockout:",
    "    attempts: 5",
    "    within: 10m",
    "    lockFor: 15m",
    "  # A reader takes `burst` bad codes (anyone's), then one more every `every`; with none left",
    "  # it refuses every scan and raises an alarm (docs/decisions.md: 32 guesses a day per reader).",
    "  guessLimit:",
    "    burst: 8",
    "    every: 1h",
    "",
    "log:",
    "  # fatal, error, warn, info or debug. Logs go to stderr as JSON.",
    "  level: info",
    "",
  );
  return lines.join("\n");
}
