import type { Command } from "commander";
import { setConfigValue } from "../../config/edit-config.js";
import { loadConfig } from "../../config/load-config.js";
import type { Config } from "../../config/schema.js";
import { withoutUserInfo } from "../ops/status-text.js";
import { configFileOf } from "../setup/config-file.js";
import { relayTargetOf } from "../setup/relay-spec.js";
import { printJson, usageError } from "../usage.js";

/** What `gate set` may change, and the config key each one is. */
const SETTABLE = { site: "site", gate: "gate", timezone: "timezone", zone: "policy.zone" } as const;
type Settable = keyof typeof SETTABLE;

/** The gate's identity and wiring as `gate show --json` prints it. */
export function gateSummary(config: Config) {
  return {
    site: config.site,
    gate: config.gate,
    timezone: config.timezone,
    zone: config.policy.zone,
    mode: config.policy.mode,
    readers: config.readers.map((r) => ({ id: r.id, direction: r.direction, source: r.source.type })),
    relays: config.relays.map((r) => ({ id: r.id, reader: r.reader, driver: relayTargetOf(r.driver) })),
    // The URL may carry user:password; only the host is shown.
    broker: config.mqtt === undefined ? null : withoutUserInfo(config.mqtt.url),
    registry: config.registry?.url ?? null,
  };
}

/**
 * `passgate gate show [--json]`: who this gate is and what it is wired to.
 * `passgate gate set <site|gate|timezone|zone> <value>`: changes one of them, keeping the
 * file's comments; refused (file unchanged) if the result would not be a valid config.
 */
export function registerGateCommand(program: Command): void {
  const gate = program.command("gate").description("show or change this gate's site, id, time zone and zone");
  gate.addHelpText(
    "after",
    `
Examples:
  passgate gate show
  passgate gate show --json
  passgate gate set timezone Europe/Moscow
  passgate gate set gate main-2`,
  );

  gate
    .command("show")
    .description("site, gate, time zone, zone, start mode, readers, relays, broker and registry")
    .option("--json", "print one JSON document")
    .addHelpText(
      "after",
      `
Exit codes: 0 shown; 1 the config cannot be read.

Examples:
  passgate --config /etc/passgate/passgate.yaml gate show
  passgate gate show --json | jq -r .timezone`,
    )
    .action((options: { json?: boolean }, command: Command) => {
      const s = gateSummary(loadConfig(configFileOf(command)));
      if (options.json) return printJson(s);
      const list = (items: string[]) => (items.length === 0 ? "none" : items.join(", "));
      process.stdout.write(
        [
          `site       ${s.site}`,
          `gate       ${s.gate}`,
          `time zone  ${s.timezone}`,
          `zone       ${s.zone}`,
          `start mode ${s.mode} (passgate mode shows the mode in force)`,
          `readers    ${list(s.readers.map((r) => `${r.id} (${r.direction}, ${r.source})`))}`,
          `relays     ${list(s.relays.map((r) => `${r.id} (reader ${r.reader}, ${r.driver})`))}`,
          `broker     ${s.broker ?? "none"}`,
          `registry   ${s.registry ?? "none"}`,
          "",
        ].join("\n"),
      );
    });

  gate
    .command("set")
    .description("change the site, gate id, time zone or zone, keeping the file's comments")
    .argument("<what>", Object.keys(SETTABLE).join(" | "))
    .argument("<value>", "the new value")
    .addHelpText(
      "after",
      `
Exit codes: 0 changed; 1 refused (the value is invalid; the file is unchanged); 2 usage error.

Examples:
  passgate gate set timezone Europe/Moscow
  passgate gate set zone library`,
    )
    .action((what: string, value: string, _options: unknown, command: Command) => {
      if (!Object.hasOwn(SETTABLE, what)) {
        usageError(command, `cannot set "${what}": expected one of ${Object.keys(SETTABLE).join(", ")}`);
      }
      const file = configFileOf(command);
      const key = SETTABLE[what as Settable];
      // Quoted, so a value such as 2026 or "on" stays the text it was typed as.
      setConfigValue(file, key, JSON.stringify(value));
      process.stdout.write(`set ${what} to ${value} in ${file}\n`);
    });
}
