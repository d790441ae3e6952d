import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

export const ALERTS_FILE = fileURLToPath(
  new URL("../../scripts/monitoring/passgate-alerts.yml", import.meta.url),
);
export const DASHBOARD_FILE = fileURLToPath(
  new URL("../../scripts/monitoring/passgate-dashboard.json", import.meta.url),
);
export const ALERT_TESTS_FILE = fileURLToPath(new URL("passgate-alerts.promtool.yml", import.meta.url));

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export interface DashboardPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly type: string; readonly uid: string };
  readonly targets?: readonly { readonly expr: string; readonly datasource?: { readonly uid: string } }[];
}

export interface Dashboard {
  readonly __inputs: readonly { readonly name: string; readonly type: string; readonly pluginId: string }[];
  readonly uid: string;
  readonly panels: readonly DashboardPanel[];
  readonly templating: { readonly list: readonly { readonly name: string }[] };
}

export function alertRules(): AlertRule[] {
  const doc = parse(readFileSync(ALERTS_FILE, "utf8")) as { groups: { rules: AlertRule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

export function dashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, "utf8")) as Dashboard;
}

/** Every query of the dashboard's panels. */
export function dashboardExpressions(board: Dashboard): string[] {
  return board.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}

/**
 * The metric names a PromQL expression reads: every identifier that is not a function call,
 * a keyword, a number (`Inf`, `NaN`), a label (inside `{…}` or `by (…)`), a string, a duration or a
 * Grafana variable.
 */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  const bare = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\$\w+/g, "5m")
    .replace(/\{[^}]*\}/g, "{}")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "");
  for (const m of bare.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = m;
    if (name === undefined || call !== undefined) continue;
    if (/^(and|or|unless|bool|offset)$/.test(name) || /^(inf|nan)$/i.test(name)) continue;
    names.add(name);
  }
  return [...names];
}
