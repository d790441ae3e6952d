/**
 * The console's HTTP API as its pages use it: JSON over HTTPS (or HTTP on loopback), the
 * session in an HttpOnly SameSite=Strict cookie, and every state-changing request carrying
 * the session's CSRF token in the `x-csrf-token` header. Live updates come as server-sent
 * events on `GET /api/events`. Nothing here ever carries a token's text, a secret or a
 * password hash; display names and ids are outside data, escaped by the page (textContent).
 *
 * Routes (all but the logins and the texts answer 401 `{"error":"not_logged_in"}` without a session):
 *
 * | method | path                        | body                        | answer                           |
 * | ------ | --------------------------- | --------------------------- | -------------------------------- |
 * | POST   | /api/login                  | `{username, password}`      | `Me` (sets the cookie) / 401 / 429 |
 * | POST   | /api/login/link             | `{code}` (from `#login=…`)  | `Me` (sets the cookie) / 401     |
 * | POST   | /api/logout                 | —                           | `{ok:true}`                      |
 * | GET    | /api/me                     | —                           | `Me`                             |
 * | GET    | /api/texts                  | —                           | `Texts` (public)                 |
 * | GET    | /api/site                   | —                           | `SiteSnapshot`                   |
 * | GET    | /api/events                 | —                           | `text/event-stream` (below)      |
 * | POST   | /api/gates/:gate/open       | `OpenRequest`               | `ActionResult` / 502             |
 * | POST   | /api/gates/:gate/mode       | `ModeRequest` (admin)       | `ActionResult` / 403 / 502       |
 * | POST   | /api/alarms/:id/ack         | —                           | `{ok:true}` / 404                |
 * | GET    | /api/search?q=…             | —                           | `SearchResult` (today, site time) |
 *
 * `/api/events` sends `event: snapshot` with a `SiteSnapshot` first (on every connect and
 * reconnect), then `event: live` with one `LiveEvent` each; a comment line every 15 s.
 *
 * Errors are `{"error": "<code>", "message": "<English text>"}` with 400 (`bad_request`: the
 * message names the field), 401 (`not_logged_in`, `bad_login`), 403 (`forbidden`: role;
 * `csrf`: token missing or wrong, or another site's page), 404 (`not_found`: gate, relay or
 * alarm), 429 (`rate_limited`, with `Retry-After`) or 502 (`gate_refused` with the gate's own
 * error in `message`, / `gate_no_answer`).
 */

export type Role = "guard" | "admin";
export type Lang = "ru" | "en";
export type GateMode = "normal" | "lockdown" | "free";

/** The logged-in user and what the page needs to act. */
export interface Me {
  readonly username: string;
  readonly role: Role;
  /** Sent back in `x-csrf-token` on every POST but the login. */
  readonly csrf: string;
  readonly site: string;
  /** IANA zone every time on the page is shown in (`console.timeZone`). */
  readonly timeZone: string;
}

/** One decision at a lane (a gate's reader), as the gate published it. */
export interface LaneDecision {
  /** The journal entry's id at the gate. */
  readonly id: string;
  readonly at: number;
  readonly gate: string;
  readonly reader: string;
  readonly direction: "in" | "out";
  readonly result: "granted" | "denied";
  /** The gate's reason code (`ok`, `replayed`, …); the page words it in the user's language. */
  readonly reason: string;
  readonly credential?: string;
  readonly person?: string;
  /** The allowlist's display name, when it has one. */
  readonly name?: string;
  /** With a rotation sensor: what became of a grant (`passed`, `not_passed`), once known. */
  readonly passage?: "passed" | "not_passed";
}

export interface GateView {
  readonly gate: string;
  readonly online: boolean;
  readonly mode?: GateMode;
  readonly modeSince?: number;
  /** Relay id → reachable. */
  readonly relays: Readonly<Record<string, boolean>>;
  readonly readers: readonly {
    readonly id: string;
    readonly direction?: "in" | "out";
    readonly connected?: boolean;
  }[];
  readonly bridges: readonly { readonly id: string; readonly paired: boolean; readonly status: string }[];
  readonly allowlist?: { readonly version: number; readonly syncedAt?: number };
  /** Epoch ms of the gate's last retained state. */
  readonly stateAt?: number;
}

export type AlarmKind =
  | "forced_passage"
  | "relay_offline"
  | "bridge_offline"
  | "gate_offline"
  | "allowlist_stale"
  | "database_corrupt"
  | "clock_unsynced";

/** An alarm stays until a guard acknowledges it. */
export interface AlarmView {
  readonly id: string;
  readonly at: number;
  readonly gate: string;
  readonly kind: AlarmKind;
  /** Relay, bridge or reader id, when the alarm is about one. */
  readonly subject?: string;
  readonly acknowledged?: { readonly by: string; readonly at: number };
}

export interface SiteSnapshot {
  readonly site: string;
  readonly timeZone: string;
  readonly gates: readonly GateView[];
  /** Newest first, at most 20 per lane (`<gate>/<reader>`). */
  readonly decisions: readonly LaneDecision[];
  /** Unacknowledged first, then the last 50 acknowledged. */
  readonly alarms: readonly AlarmView[];
}

export type LiveEvent =
  | { readonly type: "decision"; readonly decision: LaneDecision }
  | { readonly type: "gate"; readonly gate: GateView }
  | { readonly type: "alarm"; readonly alarm: AlarmView };

/** `reason`: required, 3–120 characters ("visitor, paper pass"); journaled at the gate with the user. */
export interface OpenRequest {
  readonly relay: string;
  readonly reason: string;
}

/** `confirm` must be true: the page asks first. */
export interface ModeRequest {
  readonly mode: GateMode;
  readonly confirm: true;
}

export interface ActionResult {
  readonly ok: true;
  readonly data: Readonly<Record<string, unknown>>;
}

/** `GET /api/texts`: each gate reason code in both languages, as the turnstile displays word them. */
export interface Texts {
  readonly reasons: Readonly<Record<string, { readonly en: string; readonly ru: string }>>;
}

export interface SearchResult {
  readonly query: string;
  /**
   * Today's decisions (site time zone) whose person or credential id is the query, or whose
   * name contains it (any case), newest first, at most 100.
   */
  readonly decisions: readonly LaneDecision[];
}
