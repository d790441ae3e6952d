import { ConfigError } from "../../config/config-error.js";
import { loadNotifyConfig, type NotifyConfig } from "../../notify/notify-config.js";

/**
 * The notifier's config for a command, with a missing file said in the notifier's own
 * words: the gate's message would send the reader to PASSGATE_CONFIG and `passgate init`.
 */
export function loadNotifyConfigFile(file: string): NotifyConfig {
  try {
    return loadNotifyConfig(file);
  } catch (err) {
    if (err instanceof ConfigError && err.code === "CONFIG_NOT_FOUND")
      throw new Error(
        `no notifier config at ${file} — pass --config FILE, set PASSGATE_NOTIFY_CONFIG, or write one with passgate notify init`,
      );
    throw err;
  }
}
