import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { type Config, syncedRegistry } from "../../config/schema.js";
import { allowlistAge, stalenessBudgets } from "../../daemon/decide/staleness.js";
import { type MqttSessionConfig, mqttClientOptions } from "../../daemon/mqtt/mqtt-client-options.js";
import { exhaustedRoles } from "../../sync/staleness-watch.js";
import { withoutUserInfo } from "../ops/status-text.js";
import { formatAgeSeconds } from "../ops/sync-status-report.js";
import { type CheckResult, errorText, fail, ok, warn } from "./doctor-check.js";
import type { DoctorPorts } from "./doctor-ports.js";

/** How long the broker and the registry get to answer, ms. */
export const NETWORK_TIMEOUT_MS = 3_000;

/** The clock is NTP-synchronised: TOTP codes and schedules depend on it. */
export async function checkClock(ports: DoctorPorts): Promise<CheckResult> {
  const answer = await ports.ntpSynchronized();
  if (answer === "yes") return ok("clock", "NTP synchronised");
  if (answer === "no")
    return fail(
      "clock",
      "clock not NTP synchronised: codes may be refused as expired",
      "sudo timedatectl set-ntp true; check the NTP server is reachable",
    );
  return warn(
    "clock",
    "cannot tell whether the clock is synchronised (no timedatectl)",
    "check the time against a phone; install systemd-timesyncd or chrony",
  );
}

/**
 * One MQTT connect with the gate's own options (credentials, TLS), but under another client
 * id and without the gate's last will: a doctor run must neither take over the running
 * daemon's session nor mark the gate offline when it hangs up.
 */
export async function checkBroker(
  config: { readonly site: string; readonly gate: string; readonly mqtt?: MqttSessionConfig | undefined },
  ports: DoctorPorts,
): Promise<CheckResult> {
  const mqtt = config.mqtt;
  if (mqtt === undefined) return ok("broker", "no mqtt: section, nothing to reach");
  const url = withoutUserInfo(mqtt.url);
  let options: ReturnType<typeof mqttClientOptions>;
  try {
    options = mqttClientOptions(mqtt, { site: config.site, gate: config.gate, statusTopic: "" });
  } catch (err) {
    return fail(
      "broker",
      `cannot read the MQTT files: ${errorText(err)}`,
      "check mqtt.passwordFile and mqtt.tls paths and modes",
    );
  }
  const { will: _will, ...rest } = options;
  const reason = await ports.mqttConnect(
    mqtt.url,
    { ...rest, clientId: `${options.clientId ?? "passgate"}-doctor-${randomBytes(3).toString("hex")}` },
    NETWORK_TIMEOUT_MS,
  );
  if (reason === undefined) return ok("broker", `connected to ${url}`);
  return fail(
    "broker",
    `cannot connect to ${url}: ${reason}`,
    "check the broker runs, the URL, the firewall, the user and password",
  );
}

/** `GET …/allowlist?since=<version>` answers 200 or 304 with the gate's token (never printed). */
export async function checkRegistry(
  config: Config,
  version: number | null,
  ports: DoctorPorts,
): Promise<CheckResult> {
  const registry = syncedRegistry(config);
  if (registry === undefined) return ok("registry", "no registry URL, nothing to reach");
  const base = `${registry.url.replace(/\/+$/, "")}/v1/sites/${encodeURIComponent(config.site)}/allowlist`;
  const url = version === null ? base : `${base}?since=${version}`;
  let token: string | undefined;
  if (registry.tokenFile !== undefined) {
    try {
      token = readFileSync(registry.tokenFile, "utf8").trim();
    } catch (err) {
      return fail(
        "registry",
        `cannot read registry.tokenFile: ${errorText(err)}`,
        "check its path, owner and mode",
      );
    }
  }
  try {
    const response = await ports.fetch(url, {
      headers: { accept: "application/x-ndjson", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      signal: AbortSignal.timeout(NETWORK_TIMEOUT_MS),
    });
    // Only the status matters; a 200 may carry a whole snapshot, which is not read.
    await response.body?.cancel();
    if (response.status === 200 || response.status === 304)
      return ok("registry", `${registry.url} answered ${response.status}`);
    if (response.status === 401 || response.status === 403)
      return fail(
        "registry",
        `${registry.url} refused the gate's token (${response.status})`,
        "put the token the registry issued for this gate in registry.tokenFile",
      );
    return fail(
      "registry",
      `${registry.url} answered ${response.status}`,
      "check registry.url and the site id",
    );
  } catch (err) {
    const cause =
      err instanceof Error && err.name === "TimeoutError"
        ? `no answer in ${NETWORK_TIMEOUT_MS} ms`
        : describeCause(err);
    return fail(
      "registry",
      `cannot reach ${registry.url}: ${cause}`,
      "check the network, DNS, proxy and registry.url",
    );
  }
}

/** The allowlist is within every role's staleness budget (sync.staleness). */
export function checkAllowlistFresh(
  config: Config,
  stats: { version: number | null; syncedAt: number | null },
  now: number,
): CheckResult {
  if (stats.version === null)
    return fail(
      "allowlist",
      "no allowlist yet: every scan is denied",
      "passgate sync now (or allowlist import FILE)",
    );
  const age = allowlistAge(stats.syncedAt, now);
  const ageText = Number.isFinite(age) ? `${formatAgeSeconds(Math.round(age / 1000))} old` : "never synced";
  const budgets = stalenessBudgets(config);
  const stale = budgets === undefined ? [] : exhaustedRoles(budgets, age);
  if (stale.length > 0)
    return fail(
      "allowlist",
      `v${stats.version} is ${ageText}: roles ${stale.map((s) => s.role).join(", ")} are denied as stale`,
      "fix the registry check above, then passgate sync now",
    );
  return ok(
    "allowlist",
    `v${stats.version}, ${ageText}${budgets === undefined ? " (no staleness budgets)" : ", within budgets"}`,
  );
}

function describeCause(err: unknown): string {
  const cause =
    err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === "string") return cause.code;
  return typeof cause?.message === "string" ? cause.message : errorText(err);
}
