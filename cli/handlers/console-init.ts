import { resolve } from "node:path";
import { machineTimeZone } from "../../console/console-config.js";
import { consoleConfigText } from "../../console/console-config-text.js";
import { writeNewFile } from "../setup/write-new-file.js";

/** `passgate console init`: writes a commented console config (0640); exit 1 when the file exists without --force. */
export async function consoleInit(
  file: string,
  options: {
    readonly site: string;
    readonly operator: string;
    readonly broker: string;
    readonly force?: boolean | undefined;
  },
): Promise<void> {
  const text = consoleConfigText({
    site: options.site,
    operator: options.operator,
    keyFile: `operator-${options.operator}.key`,
    brokerUrl: options.broker,
    timeZone: machineTimeZone(),
    // A config in /etc is the service's: its database goes where the unit may write.
    ...(resolve(file).startsWith("/etc/") && { databasePath: "/var/lib/passgate-console/console.db" }),
  });
  writeNewFile(file, text, options.force === true, 0o640);
  process.stdout.write(
    `wrote ${file}\nnext: passgate keys init --operator ${options.operator} --output operator-${options.operator}.key (beside it), ` +
      `passgate console user add NAME --role admin --config ${file}, then passgate console run --config ${file}\n`,
  );
}
