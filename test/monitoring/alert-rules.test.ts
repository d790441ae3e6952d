import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import {
  ALERT_TESTS_FILE,
  ALERTS_FILE,
  alertRules,
  dashboard,
  dashboardExpressions,
  metricNames,
} from "./monitoring-files.js";
import { promtool } from "./promtool.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** The anchor GitHub gives a Markdown heading: lower case, spaces to dashes, punctuation dropped. */
function githubAnchor(heading: string): string {
  return heading
    .replace(/^#+\s*/, "")
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, "")
    .replace(/ /g, "-");
}

const dir = mkdtempSync(join(tmpdir(), "passgate-monitoring-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the Prometheus alert rules (scripts/monitoring/passgate-alerts.yml)", () => {
  it("pass promtool check rules", async () => {
    const { code, output } = await promtool(["check", "rules", ALERTS_FILE]);
    expect(output).toContain("SUCCESS");
    expect(code).toBe(0);
  });

  it("fire as their unit tests say: gate down, no gate scraped, relay and bridge offline, database, clock, allowlist, sync, backlog, MQTT drops", async () => {
    const { code, output } = await promtool(["test", "rules", ALERT_TESTS_FILE]);
    expect(output).toContain("SUCCESS");
    expect(code).toBe(0);
  });

  it("fail promtool's unit tests when a rule waits longer than it says", async () => {
    // The unit tests can fail: the same tests against rules whose relay alert waits 10 minutes.
    const slow = readFileSync(ALERTS_FILE, "utf8").replace(
      /(alert: PassgateRelayOffline\n\s+expr: [^\n]+\n\s+for: )1m/,
      "$110m",
    );
    expect(slow).toContain("for: 10m");
    const rules = join(dir, "slow-alerts.yml");
    writeFileSync(rules, slow);
    const tests = join(dir, "slow.promtool.yml");
    writeFileSync(
      tests,
      readFileSync(ALERT_TESTS_FILE, "utf8").replace("../../scripts/monitoring/passgate-alerts.yml", rules),
    );
    const { code, output } = await promtool(["test", "rules", tests]);
    expect(code).not.toBe(0);
    expect(output).toContain("alertname: PassgateRelayOffline");
  });

  it("each have a severity, a for: unless they must fire at once, an English summary, description and runbook", () => {
    const rules = alertRules();
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        "PassgateGateDown",
        "PassgateRelayOffline",
        "PassgateAllowlistStale",
        "PassgateSyncFailing",
        "PassgateUploadBacklogGrowing",
        "PassgateClockUnsynced",
        "PassgateDatabaseCorrupt",
        "PassgateBridgeOffline",
      ]),
    );
    for (const rule of rules) {
      expect(["critical", "warning"], rule.alert).toContain(rule.labels?.severity);
      if (rule.alert !== "PassgateDatabaseCorrupt") expect(rule.for, rule.alert).toMatch(/^\d+m$/);
      expect(rule.annotations?.summary, rule.alert).toMatch(/^[A-Z]/);
      expect(rule.annotations?.description, rule.alert).toMatch(/\.$/);
      expect(rule.annotations?.runbook, rule.alert).toMatch(/^docs\/[a-z-]+\.md(#[a-z0-9-]+)?$/);
    }
  });

  it("point their runbook at a section that exists in the docs", () => {
    for (const rule of alertRules()) {
      const [file = "", anchor] = (rule.annotations?.runbook ?? "").split("#");
      const headings = readFileSync(join(REPO, file), "utf8")
        .split("\n")
        .filter((l) => l.startsWith("#"))
        .map(githubAnchor);
      if (anchor !== undefined) expect(headings, rule.alert).toContain(anchor);
    }
  });
});

/** Grafana's placeholder for the data source chosen on import. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own placeholder syntax, not a JS template.
const DS_INPUT = "${DS_PROMETHEUS}";

describe("the Grafana dashboard (scripts/monitoring/passgate-dashboard.json)", () => {
  const board = dashboard();

  it("asks for a Prometheus data source on import and uses it in every panel", () => {
    expect(board.__inputs).toEqual([
      expect.objectContaining({ name: "DS_PROMETHEUS", type: "datasource", pluginId: "prometheus" }),
    ]);
    const ids = board.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of board.panels.filter((p) => p.type !== "row")) {
      expect(panel.datasource?.uid, panel.title).toBe(DS_INPUT);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const t of panel.targets ?? []) expect(t.datasource?.uid, panel.title).toBe(DS_INPUT);
    }
  });

  it("shows decisions, latency, relays, allowlist, sync, backlog, MQTT drops, bridges and the database", () => {
    const used = new Set(dashboardExpressions(board).flatMap(metricNames));
    for (const name of [
      "passgate_decisions_total",
      "passgate_decision_duration_seconds_bucket",
      "passgate_relay_available",
      "passgate_allowlist_age_seconds",
      "passgate_allowlist_version",
      "passgate_sync_failures_total",
      "passgate_upload_backlog_events",
      "passgate_mqtt_dropped_total",
      "passgate_bridge_online",
      "passgate_database_corrupt",
    ])
      expect([...used]).toContain(name);
  });

  it("has queries Prometheus parses (checked by promtool as recording rules)", async () => {
    // Grafana's variables become what Grafana would put there before the query is sent.
    const rules = dashboardExpressions(board).map((expr, i) => ({
      record: `passgate:dashboard_query_${i}`,
      expr: expr.replaceAll("$__rate_interval", "1m").replaceAll("$instance", ".*"),
    }));
    const file = join(dir, "dashboard-queries.yml");
    writeFileSync(file, stringify({ groups: [{ name: "dashboard", rules }] }));
    const { code, output } = await promtool(["check", "rules", file]);
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(code).toBe(0);
  });
});

describe("metricNames", () => {
  it("finds the metrics of an expression, not its functions, labels, keywords or variables", () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le, instance) (rate(passgate_decision_duration_seconds_bucket{instance=~"$instance"}[$__rate_interval]))) > 0.005 and on (job) up{job="passgate"} == 1',
      ).sort(),
    ).toEqual(["passgate_decision_duration_seconds_bucket", "up"]);
    expect(metricNames("absent(up)")).toEqual(["up"]);
    expect(metricNames("passgate_allowlist_age_seconds > 21600 < +Inf")).toEqual([
      "passgate_allowlist_age_seconds",
    ]);
  });
});
