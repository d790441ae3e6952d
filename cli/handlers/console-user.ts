import type { Role } from "../../console/api.js";
import { passwordProblem } from "../../console/auth/passwords.js";
import { roleSchema, UserStore, usernameSchema } from "../../console/auth/user-store.js";
import { loadConsoleConfig } from "../../console/console-config.js";
import { openConsoleDatabase } from "../../console/store/console-database.js";
import { escapeLine } from "../ops/escape-control.js";
import { readPassword } from "../setup/read-password.js";
import { printJson } from "../usage.js";

interface UserOptions {
  readonly json?: boolean | undefined;
  readonly passwordStdin?: boolean | undefined;
}

/** Opens the console's database of the config at `configFile`, runs `work`, closes it. */
async function withUsers<T>(configFile: string, work: (users: UserStore) => Promise<T>): Promise<T> {
  const config = loadConsoleConfig(configFile);
  const db = openConsoleDatabase(config.database.path);
  try {
    return await work(new UserStore(db));
  } finally {
    db.close();
  }
}

function checkName(name: string): string {
  const parsed = usernameSchema.safeParse(name);
  if (!parsed.success)
    throw new Error(
      `user name "${escapeLine(name.slice(0, 80))}": expected 1–64 letters, digits, dots, dashes or underscores`,
    );
  return parsed.data;
}

async function newPassword(options: UserOptions, name: string): Promise<string> {
  const password = await readPassword({
    fromStdin: options.passwordStdin === true,
    prompt: `password of ${name}`,
  });
  const problem = passwordProblem(password);
  if (problem !== undefined) throw new Error(`${problem}: nothing changed`);
  return password;
}

function fail(message: string): void {
  process.stderr.write(`passgate: ${message}\n`);
  process.exitCode = 1;
}

/** `passgate console user add NAME --role guard|admin`: exit 1 when the name is taken. */
export async function consoleUserAdd(configFile: string, name: string, role: string, options: UserOptions) {
  const username = checkName(name);
  const parsedRole = roleSchema.safeParse(role);
  if (!parsedRole.success)
    throw new Error(`--role ${escapeLine(role.slice(0, 40))}: expected guard or admin`);
  const password = await newPassword(options, username);
  await withUsers(configFile, async (users) => {
    if (!(await users.add(username, parsedRole.data as Role, password, Date.now())))
      return fail(
        `user ${username} exists already: passgate console user passwd ${username} sets a new password`,
      );
    if (options.json) printJson({ username, role: parsedRole.data, added: true });
    else process.stdout.write(`added ${parsedRole.data} ${username}\n`);
  });
}

/** `passgate console user passwd NAME`: a new password; the user's sessions end when the console next sees them. */
export async function consoleUserPasswd(configFile: string, name: string, options: UserOptions) {
  const username = checkName(name);
  const password = await newPassword(options, username);
  await withUsers(configFile, async (users) => {
    if (!(await users.setPassword(username, password, Date.now())))
      return fail(`no user ${username}: passgate console user list`);
    if (options.json) printJson({ username, passwordChanged: true });
    else process.stdout.write(`new password set for ${username}\n`);
  });
}

/** `passgate console user remove NAME`: the user's sessions stop working at their next request. */
export async function consoleUserRemove(configFile: string, name: string, options: UserOptions) {
  const username = checkName(name);
  await withUsers(configFile, async (users) => {
    if (!users.remove(username)) return fail(`no user ${username}: passgate console user list`);
    if (options.json) printJson({ username, removed: true });
    else process.stdout.write(`removed ${username}\n`);
  });
}

export async function consoleUserList(configFile: string, options: UserOptions) {
  await withUsers(configFile, async (users) => {
    const list = users.list();
    if (options.json)
      return printJson(list.map((u) => ({ username: u.username, role: u.role, createdAt: u.createdAt })));
    if (list.length === 0)
      return void process.stdout.write("no users: passgate console user add NAME --role guard\n");
    for (const u of list)
      process.stdout.write(
        `${u.username.padEnd(24)} ${u.role.padEnd(6)} since ${new Date(u.createdAt).toISOString()}\n`,
      );
  });
}
