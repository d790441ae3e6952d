import { InvalidArgumentError } from "commander";

/** Option parsers shared by `passgate demo` and `passgate sim campus`: bad values are usage errors (exit 2). */

/** `--duration`: seconds, more than 0 and at most a day. */
export function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 86_400)
    throw new InvalidArgumentError("expected seconds, more than 0 and at most 86400");
  return n;
}

/** `--gates`, `--rate`, `--seed`: a whole number within [min, max]. */
export function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

/** `--broker`: an mqtt:// or mqtts:// URL (MQTT 5). */
export function brokerUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError("expected a URL such as mqtt://host:1883");
  }
  if (url.protocol !== "mqtt:" && url.protocol !== "mqtts:")
    throw new InvalidArgumentError("expected an mqtt:// or mqtts:// URL, such as mqtt://host:1883");
  return value;
}
