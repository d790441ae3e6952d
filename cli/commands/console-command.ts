import { type Command, InvalidArgumentError } from "commander";
import { helpAfter } from "../output.js";

/** The console's config: --config FILE, else ./console.yaml (not the gate's passgate.yaml). */
function consoleConfigFile(program: Command): string {
  return program.opts<{ config?: string }>().config ?? "./console.yaml";
}

function role(value: string): string {
  if (value !== "guard" && value !== "admin") throw new InvalidArgumentError("expected guard or admin");
  return value;
}

/**
 * `passgate console …`: the guard's desk of a site (docs/console.md): `init` writes its
 * config, `run` serves it, `user …` keeps its users. Passwords are read from the terminal
 * without echo or from stdin with --password-stdin, never from the command line.
 */
export function registerConsoleCommand(program: Command): void {
  const cmd = program.command("console").description("the guard's desk: a web console of a site's gates");
  helpAfter(cmd, {
    notes: "The console's config is --config FILE, else ./console.yaml.",
    examples: [
      "passgate console init --site north-campus --operator desk-1 --config /etc/passgate/console.yaml",
      "passgate console user add ivanova --role guard --config /etc/passgate/console.yaml",
      "passgate console run --config /etc/passgate/console.yaml",
    ],
  });

  const init = cmd
    .command("init")
    .description("write a commented console config")
    .requiredOption("--site <site>", "the site id, as in the gates' configs")
    .option("--operator <name>", "the roster operator the console signs as", "console")
    .option("--broker <url>", "the site's broker", "mqtt://127.0.0.1:1883")
    .option("--force", "replace an existing file")
    .action(async (options: { site: string; operator: string; broker: string; force?: boolean }) => {
      const { consoleInit } = await import("../handlers/console-init.js");
      await consoleInit(consoleConfigFile(program), options);
    });
  helpAfter(init, {
    exitCodes: "0 written; 1 the file exists (without --force) or cannot be written; 2 usage error",
    examples: [
      "passgate console init --site north-campus --config console.yaml",
      "passgate console init --site north-campus --operator desk-1 --broker mqtts://broker.campus:8883",
    ],
  });

  const run = cmd
    .command("run")
    .description("serve the console until SIGTERM or SIGINT")
    .action(async () => {
      const { consoleRun } = await import("../handlers/console-run.js");
      await consoleRun(consoleConfigFile(program));
    });
  helpAfter(run, {
    exitCodes: "0 stopped cleanly; 1 could not start (invalid config, no TLS off loopback, unreadable key)",
    examples: [
      "passgate console run --config /etc/passgate/console.yaml",
      "systemctl start passgate-console",
    ],
  });

  const user = cmd.command("user").description("the console's users (guards and admins)");
  helpAfter(user, {
    examples: [
      "passgate console user add ivanova --role guard",
      "printf '%s\\n' \"$PW\" | passgate console user passwd ivanova --password-stdin",
      "passgate console user list --json",
    ],
  });

  const add = user
    .command("add <name>")
    .description("add a user; the password is asked on the terminal (twice, not shown)")
    .requiredOption(
      "--role <role>",
      "guard (sees, opens once, acknowledges) or admin (also gate modes)",
      role,
    )
    .option("--password-stdin", "read the password from stdin instead of the terminal")
    .option("--json", "print {username, role, added}")
    .action(async (name: string, options: { role: string; passwordStdin?: boolean; json?: boolean }) => {
      const { consoleUserAdd } = await import("../handlers/console-user.js");
      await consoleUserAdd(consoleConfigFile(program), name, options.role, options);
    });
  helpAfter(add, {
    notes: "Passwords have 10–256 characters. They are stored as scrypt hashes only.",
    exitCodes:
      "0 added; 1 the user exists, the password is refused, or the database cannot be written; 2 usage error",
    examples: [
      "passgate console user add ivanova --role guard",
      "passgate console user add petrov --role admin --password-stdin < pw.txt",
    ],
  });

  const passwd = user
    .command("passwd <name>")
    .description("set a new password")
    .option("--password-stdin", "read the password from stdin instead of the terminal")
    .option("--json", "print {username, passwordChanged}")
    .action(async (name: string, options: { passwordStdin?: boolean; json?: boolean }) => {
      const { consoleUserPasswd } = await import("../handlers/console-user.js");
      await consoleUserPasswd(consoleConfigFile(program), name, options);
    });
  helpAfter(passwd, {
    exitCodes: "0 changed; 1 no such user or the password is refused; 2 usage error",
    examples: ["passgate console user passwd ivanova"],
  });

  const remove = user
    .command("remove <name>")
    .description("remove a user; their open pages stop working at the next request")
    .option("--json", "print {username, removed}")
    .action(async (name: string, options: { json?: boolean }) => {
      const { consoleUserRemove } = await import("../handlers/console-user.js");
      await consoleUserRemove(consoleConfigFile(program), name, options);
    });
  helpAfter(remove, {
    exitCodes: "0 removed; 1 no such user; 2 usage error",
    examples: ["passgate console user remove ivanova"],
  });

  const list = user
    .command("list")
    .description("list the users and their roles (never a password or hash)")
    .option("--json", "print [{username, role, createdAt}]")
    .action(async (options: { json?: boolean }) => {
      const { consoleUserList } = await import("../handlers/console-user.js");
      await consoleUserList(consoleConfigFile(program), options);
    });
  helpAfter(list, {
    exitCodes: "0 listed; 1 the database cannot be read",
    examples: ["passgate console user list --json | jq '.[].username'"],
  });
}
