import { readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { withGateDatabase } from "../../app/gate-database.js";
import { loadConfig } from "../../config/load-config.js";
import type { Config } from "../../config/schema.js";
import { MAX_ROSTER_BYTES, readRosterBody } from "../../daemon/trust/roster-body.js";
import type { RosterMember } from "../../daemon/trust/roster-member.js";
import { RosterStore } from "../../daemon/trust/roster-store.js";
import {
  dynamicSecurityJson,
  emqxAclConf,
  mosquittoAclFile,
  mosquittoPasswordFile,
} from "../broker/broker-files.js";
import { hashPassword, type PasswordHash } from "../broker/mosquitto-password.js";
import { accountPasswords, prepareOutputDir } from "../broker/output-dir.js";
import { accountName, siteAccounts } from "../broker/site-accounts.js";
import type { BrokerAclOptions } from "../commands/broker-command.js";
import { printJson } from "../output.js";
import { writeNewFile } from "../setup/write-new-file.js";

/** The files `broker acl` writes into `--out`, and what each is for. */
export const BROKER_FILES = {
  acl: { file: "mosquitto.acl", about: "mosquitto: acl_file" },
  passwords: { file: "mosquitto.passwd", about: "mosquitto: password_file" },
  dynsec: {
    file: "dynamic-security.json",
    about: "mosquitto dynamic-security plugin: plugin_opt_config_file",
  },
  emqx: { file: "emqx-acl.conf", about: "EMQX file authorization (not tested against a running EMQX)" },
} as const;

/**
 * `passgate broker acl`: loads every gate's config and the roster, works out the accounts
 * (refusing anything that cannot be written safely before writing a byte), keeps or makes
 * each account's password, and writes the broker's files, all mode 0600.
 */
export async function brokerAcl(gateFiles: readonly string[], options: BrokerAclOptions): Promise<void> {
  const configs = gateFiles.map((file) => loadConfig(file));
  const first = configs[0];
  if (first === undefined) throw new Error("no gate config given");
  const members = options.roster === undefined ? databaseRoster(first) : rosterFile(options.roster, configs);
  if (members === undefined) return;
  const site = siteAccounts(configs, members);

  const out = resolve(options.out);
  prepareOutputDir(out);
  const names = site.accounts.map((a) => a.name);
  const passwords = accountPasswords(out, names, options.force === true);
  const hashes = new Map<string, PasswordHash>();
  for (const [name, p] of passwords) hashes.set(name, hashPassword(p.password));

  const write = (key: keyof typeof BROKER_FILES, text: string) =>
    writeNewFile(join(out, BROKER_FILES[key].file), text, true, 0o600);
  write("acl", mosquittoAclFile(site));
  write("passwords", mosquittoPasswordFile(site, hashes));
  write("dynsec", dynamicSecurityJson(site, hashes));
  write("emqx", emqxAclConf(site));

  const accounts = site.accounts.map((a) => {
    const p = passwords.get(a.name);
    return {
      name: a.name,
      kind: a.kind,
      uses: a.uses,
      passwordFile: p?.file ?? "",
      password: p?.state ?? "new",
      ...(options.showPasswords === true ? { secret: p?.password ?? "" } : {}),
      publish: a.publish,
      subscribe: a.subscribe,
    };
  });
  const usernames = configs
    .filter((c) => c.mqtt?.username !== undefined && c.mqtt.username !== accountName.gate(c.gate))
    .map((c) => ({ gate: c.gate, username: c.mqtt?.username ?? "", expected: accountName.gate(c.gate) }));

  if (options.json === true) {
    printJson({
      site: site.site,
      out,
      files: Object.fromEntries(Object.entries(BROKER_FILES).map(([k, f]) => [k, join(out, f.file)])),
      accounts,
      skipped: site.skipped,
      usernameMismatches: usernames,
    });
    return;
  }
  const width = Math.max(...accounts.map((a) => a.name.length), 7);
  const lines = [
    `broker accounts of site ${site.site}: ${accounts.length}, written to ${out}`,
    ...accounts.map(
      (a) =>
        `  ${a.name.padEnd(width)}  ${a.kind.padEnd(8)}  ${relative(out, a.passwordFile)} (${a.password})` +
        (options.showPasswords === true ? `  password ${a.secret ?? ""}` : ""),
    ),
    "files (mode 0600):",
    ...Object.values(BROKER_FILES).map((f) => `  ${f.file.padEnd(22)}  ${f.about}`),
    ...site.skipped.map((s) => `skipped ${s.member}: ${s.reason}`),
    ...usernames.map(
      (u) => `gate ${u.gate}: its config says mqtt.username ${u.username}; its account is ${u.expected}`,
    ),
    "on each gate: mqtt.username gate-<gate>, mqtt.passwordFile the copy of passwords/gate-<gate>.password (mode 0600)",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** The active roster of the first gate's database, read-only. */
function databaseRoster(config: Config): RosterMember[] {
  return withGateDatabase(config.storage, "read", (db) =>
    RosterStore.open(db)
      .list()
      .map((m) => m.member),
  );
}

/**
 * A roster file, verified as `passgate trust import` does, against the registry keys the
 * gates trust; undefined (with the reason printed and the exit code set) when refused.
 */
function rosterFile(file: string, configs: readonly Config[]): RosterMember[] | undefined {
  let body: Buffer;
  try {
    body = readFileSync(file);
  } catch (err) {
    process.stderr.write(
      `passgate: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "unreadable"})\n`,
    );
    process.exitCode = 2;
    return undefined;
  }
  const trustedKeys = Object.assign({}, ...configs.map((c) => c.registry?.trustedKeys ?? {})) as Record<
    string,
    string
  >;
  const read =
    body.length > MAX_ROSTER_BYTES
      ? { ok: false as const, reason: "line_too_long", message: `larger than ${MAX_ROSTER_BYTES} bytes` }
      : readRosterBody(body, { site: configs[0]?.site ?? "", trustedKeys });
  if (!read.ok) {
    process.stderr.write(
      `passgate: roster ${file} refused (${read.reason}): ${read.message}; nothing written\n`,
    );
    process.exitCode = 1;
    return undefined;
  }
  return [...read.members];
}
