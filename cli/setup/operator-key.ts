import { homedir } from "node:os";
import { join } from "node:path";

/** Where an operator's key is by default: the user's own config folder ($XDG_CONFIG_HOME or ~/.config). */
export function operatorKeyFile(name: string): string {
  const base = process.env.XDG_CONFIG_HOME ?? join(homedir(), ".config");
  return join(base, "passgate", `operator-${name}.key`);
}
