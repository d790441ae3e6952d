import type { Command } from "commander";
import { loadConfig } from "../../config/load-config.js";
import { configFileOf } from "../setup/config-file.js";
import { describeGatePolicy, describeRules, localHeading, rulesAt } from "../setup/describe-policy.js";
import { printJson, usageError } from "../usage.js";

/**
 * `passgate policy show [--at <ISO time>] [--json]`: who may pass when, in words, from the
 * config's `policy`; with --at, which rules admit their holders at that moment, as the
 * gate's own decide() answers.
 */
export function registerPolicyCommand(program: Command): void {
  const policy = program.command("policy").description("who may pass this gate, and when, in words");
  policy.addHelpText(
    "after",
    `
Examples:
  passgate policy show
  passgate policy show --at 2026-12-31T09:00:00+03:00`,
  );
  policy
    .command("show")
    .description("the gate's rules, schedules, holidays, anti-passback, lockout and mode in words")
    .option(
      "--at <time>",
      "also say which rules are open at this moment (ISO 8601, e.g. 2026-12-01T08:30:00+03:00)",
    )
    .option("--json", "print one JSON document")
    .addHelpText(
      "after",
      `
Exit codes: 0 shown; 1 the config cannot be read; 2 usage error (e.g. --at not a time).

Examples:
  passgate policy show
  passgate policy show --at 2026-12-31T09:00:00+03:00
  passgate policy show --at now --json`,
    )
    .action((o: { at?: string; json?: boolean }, command: Command) => {
      let at: number | undefined;
      if (o.at !== undefined) {
        at = o.at === "now" ? Date.now() : Date.parse(o.at);
        // Date.parse also takes forms like "12/01/2026"; only ISO 8601 says which zone is meant.
        if (Number.isNaN(at) || (o.at !== "now" && !/^\d{4}-\d{2}-\d{2}(T|$)/.test(o.at))) {
          usageError(command, `--at "${o.at}" is not an ISO 8601 time such as 2026-12-01T08:30:00+03:00`);
        }
      }
      const config = loadConfig(configFileOf(command));
      const gateLines = describeGatePolicy(config);
      const rules = describeRules(config);
      const open = at === undefined ? undefined : rulesAt(config, at);
      if (o.json) {
        return printJson({
          site: config.site,
          gate: config.gate,
          timezone: config.timezone,
          zone: config.policy.zone,
          mode: config.policy.mode,
          summary: gateLines,
          rules: config.policy.rules.map((r, i) => ({ ...r, text: rules[i]?.text })),
          schedules: config.policy.schedules,
          holidays: config.policy.holidays,
          antiPassback: config.policy.antiPassback,
          lockout: config.policy.lockout,
          ...(at === undefined
            ? {}
            : { at: { time: new Date(at).toISOString(), local: localHeading(config, at), rules: open } }),
        });
      }
      const lines = [...gateLines, ""];
      for (const r of rules) lines.push(`${r.name}: ${r.text}`);
      if (at !== undefined && open !== undefined) {
        lines.push("", `At ${localHeading(config, at)}:`);
        for (const r of open) {
          lines.push(
            `  ${r.open ? "open  " : "closed"} ${r.name} (${r.direction})${r.open ? "" : `: ${r.reason}`}`,
          );
        }
        if (open.length === 0) lines.push("  no rules: nobody passes");
      }
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
