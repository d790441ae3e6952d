import type { Config } from "../../config/schema.js";
import { printJson } from "../output.js";
import { describeGatePolicy, describeRules, localHeading, rulesAt } from "../setup/describe-policy.js";

/**
 * `passgate policy show`: the config's policy in words; with `at` (epoch ms), which rules
 * admit their holders at that moment, as the gate's decide() answers.
 */
export function policyShow(config: Config, options: { readonly at?: number; readonly json: boolean }): void {
  const { at } = options;
  const gateLines = describeGatePolicy(config);
  const rules = describeRules(config);
  const open = at === undefined ? undefined : rulesAt(config, at);
  if (options.json) {
    printJson({
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
      guessLimit: config.policy.guessLimit,
      ...(at === undefined
        ? {}
        : { at: { time: new Date(at).toISOString(), local: localHeading(config, at), rules: open } }),
    });
    return;
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
}
