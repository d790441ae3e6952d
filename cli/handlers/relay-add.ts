import { setConfigValue } from "../../config/edit-config.js";
import { loadConfig } from "../../config/load-config.js";
import { type RelayKind, relayDriverOf, relayTargetOf } from "../setup/relay-spec.js";

/** A relay as `relay add` was given it, its options already checked. */
export interface RelayAddSpec {
  readonly id: string;
  readonly reader: string;
  readonly kind: RelayKind;
  /** The board's topic, Shelly id or device name; undefined for the log driver. */
  readonly target: string | undefined;
  /** The relay on the board; undefined for the board's first. */
  readonly channel: number | undefined;
  /** As written in the config, e.g. `1s` or `800ms`. */
  readonly pulse: string;
}

/**
 * `passgate relay add`: appends the relay to `relays:` of the config `file`, keeping its
 * comments. Refused (a ConfigError, file unchanged) when the result is invalid, e.g. an
 * unknown reader; an id already configured is an Error.
 */
export function relayAdd(file: string, spec: RelayAddSpec): void {
  const config = loadConfig(file);
  if (config.relays.some((r) => r.id === spec.id)) {
    throw new Error(
      `a relay "${spec.id}" is already configured: choose another id, or relay remove ${spec.id} first`,
    );
  }
  const entry = {
    id: spec.id,
    reader: spec.reader,
    driver: relayDriverOf(spec.kind, spec.target, spec.channel),
    pulse: spec.pulse,
  };
  setConfigValue(file, `relays.${config.relays.length}`, JSON.stringify(entry));
  process.stdout.write(
    `added relay ${spec.id} (${relayTargetOf(entry.driver)}) to ${file}; try it: passgate relay test ${spec.id}\n`,
  );
}
