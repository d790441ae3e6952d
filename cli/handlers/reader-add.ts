import { setConfigValue } from "../../config/edit-config.js";
import { loadConfig } from "../../config/load-config.js";
import { type ReaderSpec, readerConfigOf } from "../setup/reader-spec.js";

/**
 * `passgate reader add`: appends the reader to `readers:` of the config `file`, keeping its
 * comments. Refused (a ConfigError, file unchanged) when the result is invalid; an id
 * already configured is an Error.
 */
export function readerAdd(file: string, spec: ReaderSpec): void {
  const config = loadConfig(file);
  if (config.readers.some((r) => r.id === spec.id)) {
    throw new Error(
      `a reader "${spec.id}" is already configured: choose another id, or reader remove ${spec.id} first`,
    );
  }
  setConfigValue(file, `readers.${config.readers.length}`, JSON.stringify(readerConfigOf(spec)));
  process.stdout.write(
    `added reader ${spec.id} (${spec.direction}) to ${file}; try it: passgate reader test ${spec.id}\n`,
  );
}
