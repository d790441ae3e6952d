import { type PasswordHash, passwordFileLine } from "./mosquitto-password.js";
import type { BrokerAccount, SiteAccounts } from "./site-accounts.js";

/**
 * The files a broker reads, rendered from the site's accounts. Every name and topic was
 * checked by site-accounts.ts (no line breaks, quotes, spaces or stray wildcards), so
 * they are written as they are. Nothing here allows what an account does not list: each
 * format starts from "deny".
 */

const HEADER = (site: string) =>
  `passgate broker accounts of site ${site}, written by \`passgate broker acl\`: edit the gates' configs or the roster and run it again, not this file.`;

/**
 * mosquitto's `acl_file`: one `user` block per account, `topic write` for what it
 * publishes and `topic read` for what it receives; no `pattern` lines and no lines before
 * the first `user`, so an anonymous client or an account not listed gets nothing.
 */
export function mosquittoAclFile(site: SiteAccounts): string {
  const blocks = site.accounts.map((a) =>
    [
      ...a.uses.map((u) => `# ${u}`),
      `user ${a.name}`,
      ...a.publish.map((t) => `topic write ${t}`),
      ...a.subscribe.map((t) => `topic read ${t}`),
    ].join("\n"),
  );
  return `# ${HEADER(site.site)}\n\n${blocks.join("\n\n")}\n`;
}

/** mosquitto's `password_file`. */
export function mosquittoPasswordFile(site: SiteAccounts, hashes: ReadonlyMap<string, PasswordHash>): string {
  return `${site.accounts.map((a) => passwordFileLine(a.name, hashOf(hashes, a))).join("\n")}\n`;
}

/**
 * The dynamic-security plugin's config (plugins/dynamic-security: `plugin_opt_config_file`):
 * one client and one role of the same name per account. The default access denies every
 * publish, receive and subscribe, so each role grants `publishClientSend` for what the
 * account publishes, and `subscribePattern` with `publishClientReceive` for what it receives.
 */
export function dynamicSecurityJson(site: SiteAccounts, hashes: ReadonlyMap<string, PasswordHash>): string {
  const config = {
    defaultACLAccess: {
      publishClientSend: false,
      publishClientReceive: false,
      subscribe: false,
      unsubscribe: true,
    },
    clients: site.accounts.map((a) => {
      const h = hashOf(hashes, a);
      return {
        username: a.name,
        textname: a.uses.join("; ").slice(0, 500),
        password: h.hash,
        salt: h.salt,
        iterations: h.iterations,
        roles: [{ rolename: a.name }],
      };
    }),
    groups: [],
    roles: site.accounts.map((a) => ({
      rolename: a.name,
      textname: `${a.kind} account of site ${site.site}`,
      acls: [
        ...a.publish.map((topic) => ({ acltype: "publishClientSend", topic, priority: 0, allow: true })),
        ...a.subscribe.flatMap((topic) => [
          { acltype: "subscribePattern", topic, priority: 0, allow: true },
          { acltype: "publishClientReceive", topic, priority: 0, allow: true },
        ]),
      ],
    })),
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * EMQX's file authorization (`authorization.sources` type `file`, Erlang terms): one
 * publish and one subscribe rule per account, then `{deny, all}.` Not run against an EMQX
 * here: check it on the site's EMQX before relying on it (docs/mqtt.md).
 */
export function emqxAclConf(site: SiteAccounts): string {
  const list = (topics: readonly string[]) => `[${topics.map((t) => `"${t}"`).join(", ")}]`;
  const rules = site.accounts.flatMap((a) => [
    ...a.uses.map((u) => `%% ${u}`),
    ...(a.publish.length > 0 ? [`{allow, {username, "${a.name}"}, publish, ${list(a.publish)}}.`] : []),
    ...(a.subscribe.length > 0 ? [`{allow, {username, "${a.name}"}, subscribe, ${list(a.subscribe)}}.`] : []),
  ]);
  return [
    `%% ${HEADER(site.site)}`,
    "%% Not tested against a running EMQX: check each account on the site's broker (docs/mqtt.md).",
    "",
    ...rules,
    "",
    "{deny, all}.",
    "",
  ].join("\n");
}

function hashOf(hashes: ReadonlyMap<string, PasswordHash>, account: BrokerAccount): PasswordHash {
  const hash = hashes.get(account.name);
  if (hash === undefined) throw new Error(`no password hash for ${account.name}`);
  return hash;
}
