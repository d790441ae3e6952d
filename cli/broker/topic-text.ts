/**
 * Checks of the names and topics that go into a broker's ACL and password files. Anything
 * from a config or a roster is checked here before it is written, so a name cannot add a
 * line, widen a rule with a wildcard, or reach the broker's `$SYS` tree.
 */

/** Something from a config or roster that cannot go into a broker's files, with the reason. */
export class BrokerAclError extends Error {
  readonly code = "BROKER_ACL";
}

/** An account (MQTT username): no `:` (the password file's separator), no wildcard, no space. */
const ACCOUNT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/;
/** One topic level taken from a name: the characters config names may use. */
const LEVEL = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;

export function checkAccountName(name: string, what: string): string {
  if (!ACCOUNT.test(name))
    throw new BrokerAclError(
      `${what} gives the account name ${JSON.stringify(name.slice(0, 100))}: an account name is letters, digits, _ . - (max 80), starting with a letter or digit`,
    );
  return name;
}

/** A name used as one topic level (site, gate, device, client id). */
export function checkLevel(value: string, what: string): string {
  if (!LEVEL.test(value))
    throw new BrokerAclError(
      `${what} ${JSON.stringify(value.slice(0, 100))} cannot be a topic level: letters, digits, _ . : - only (no / + # or spaces)`,
    );
  return value;
}

/**
 * An exact topic a device publishes on (an input, a firmware reader): printable ASCII
 * without spaces, quotes or backslashes, no wildcard, no empty level, not under `$`.
 */
export function checkExactTopic(topic: string, what: string): string {
  const reason =
    topic.length === 0 || topic.length > 255
      ? "it must be 1 to 255 characters"
      : !/^[\x21-\x7e]+$/.test(topic)
        ? "it may hold only printable ASCII without spaces"
        : /[+#]/.test(topic)
          ? "it holds a wildcard (+ or #)"
          : /["\\]/.test(topic)
            ? "it holds a quote or a backslash"
            : topic.startsWith("$")
              ? "topics under $ are the broker's"
              : topic.split("/").some((level) => level === "")
                ? "it has an empty level (a leading, trailing or double /)"
                : undefined;
  if (reason !== undefined)
    throw new BrokerAclError(
      `${what} ${JSON.stringify(topic.slice(0, 100))} cannot be written into the ACL: ${reason}`,
    );
  return topic;
}

/**
 * Whether `topic` (exact, or itself a filter) is matched by `filter`, as the broker matches
 * a publish against an ACL entry: `+` one level, `#` the rest. A `+` or `#` in `topic` is
 * matched only by a wildcard at that level, so the test errs towards "overlaps".
 */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === "#") return true;
    if (i >= t.length) return false;
    if (level === "+") continue;
    if (t[i] === "#" || t[i] === "+" || level !== t[i]) return false;
  }
  return f.length === t.length;
}
