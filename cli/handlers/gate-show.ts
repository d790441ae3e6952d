import type { Config } from "../../config/schema.js";
import { withoutUserInfo } from "../ops/status-text.js";
import { printJson } from "../output.js";
import { relayTargetOf } from "../setup/relay-spec.js";

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

/** `passgate gate show`: who this gate is and what it is wired to, as text or one JSON document. */
export function gateShow(config: Config, options: { readonly json: boolean }): void {
  const s = gateSummary(config);
  if (options.json) {
    printJson(s);
    return;
  }
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
}
