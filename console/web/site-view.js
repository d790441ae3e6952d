// The site view: a card per gate with its lanes, the alarms, the actions and the person
// search, kept live from /api/events. Every value from outside goes in with textContent.

import { createCards, el } from "/gate-card.js";

const $ = (id) => document.getElementById(id);

/** Decisions shown per lane. */
const LANE_ROWS = 20;

export function startSite({ me, api, texts, onLoggedOut }) {
  // `lanes`: gate → reader → that lane's last decisions, newest first (at most LANE_ROWS).
  const state = { gates: new Map(), lanes: new Map(), alarms: new Map() };
  const t = texts.t;

  const { time, decisionRow, gateCard } = createCards({ me, texts, state, onOpen: askOpen, onMode: askMode });

  // ── Rendering ──────────────────────────────────────────────────────────────────────

  /** Each gate's card on the page, so a decision redraws its own gate's card only. */
  const cards = new Map();

  function renderGates() {
    dirty.clear();
    cards.clear();
    const gates = $("gates");
    gates.replaceChildren(
      ...[...state.gates.values()]
        .sort((a, b) => a.gate.localeCompare(b.gate))
        .map((gate) => {
          const card = gateCard(gate);
          cards.set(gate.gate, card);
          return card;
        }),
    );
  }

  // A large site sends dozens of decisions a second: the cards they touch are redrawn once per
  // frame, not once per decision, and the other cards not at all.
  const dirty = new Set();
  let framePending = false;
  function redraw(gate) {
    dirty.add(gate);
    if (framePending) return;
    framePending = true;
    requestAnimationFrame(() => {
      framePending = false;
      const gates = [...dirty];
      dirty.clear();
      if (gates.some((g) => state.gates.has(g) && !cards.has(g))) return renderGates();
      for (const g of gates) {
        const old = cards.get(g);
        const gate = state.gates.get(g);
        if (old === undefined || gate === undefined) continue;
        const card = gateCard(gate);
        old.replaceWith(card);
        cards.set(g, card);
      }
    });
  }

  /** Puts `d` in its lane (replacing an earlier copy: a passage came), newest first, bounded. */
  function addDecision(d) {
    const readers = state.lanes.get(d.gate) ?? new Map();
    state.lanes.set(d.gate, readers);
    const lane = (readers.get(d.reader) ?? []).filter((x) => x.id !== d.id);
    let i = 0;
    while (i < lane.length && lane[i].at > d.at) i++;
    lane.splice(i, 0, d);
    readers.set(d.reader, lane.slice(0, LANE_ROWS));
  }

  function renderAlarms() {
    const list = $("alarms");
    const alarms = [...state.alarms.values()].sort(
      (a, b) => Number(Boolean(a.acknowledged)) - Number(Boolean(b.acknowledged)) || b.at - a.at,
    );
    if (alarms.length === 0)
      return list.replaceChildren(el("li", { cls: "acked", testid: "no-alarms", text: t("no_alarms") }));
    list.replaceChildren(
      ...alarms.map((a) => {
        const row = el(
          "li",
          { cls: a.acknowledged ? "acked" : "open", testid: "alarm-row" },
          el("span", { testid: "alarm-time", text: time(a.at) }),
          el("strong", { testid: "alarm-kind", text: t(`alarm_${a.kind}`) }),
          el("span", { testid: "alarm-gate", text: a.subject ? `${a.gate} / ${a.subject}` : a.gate }),
        );
        row.dataset.alarm = a.id;
        row.dataset.kind = a.kind;
        if (a.acknowledged) {
          row.append(
            el("span", {
              testid: "alarm-acked",
              text: t("acked_by", { by: a.acknowledged.by, at: time(a.acknowledged.at) }),
            }),
          );
        } else {
          const ack = el("button", { testid: "alarm-ack", text: t("acknowledge") });
          ack.type = "button";
          ack.addEventListener("click", async () => {
            ack.disabled = true;
            const { status, data } = await api(`/api/alarms/${encodeURIComponent(a.id)}/ack`, {
              method: "POST",
            });
            if (status !== 200) showResult(false, data.message ?? String(status));
          });
          row.append(ack);
        }
        return row;
      }),
    );
  }

  function renderAll() {
    renderAlarms();
    renderGates();
  }

  // ── Actions ────────────────────────────────────────────────────────────────────────

  function showResult(ok, text) {
    const result = $("action-result");
    result.className = `action-result ${ok ? "done" : "failed"}`;
    result.dataset.outcome = ok ? "ok" : "failed";
    result.textContent = ok ? t("action_ok", { what: text }) : t("action_failed", { why: text });
  }

  let pendingOpen;
  function askOpen(gate, relay) {
    pendingOpen = { gate, relay };
    $("open-what").textContent = t("open_what", { gate, relay });
    $("open-reason").value = "";
    $("open-dialog").showModal();
    $("open-reason").focus();
  }

  $("open-cancel").addEventListener("click", () => $("open-dialog").close());
  $("open-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const reason = $("open-reason").value.trim();
    if (reason.length < 3 || reason.length > 120) return $("open-reason").reportValidity();
    $("open-dialog").close();
    const { gate, relay } = pendingOpen;
    $("open-submit").disabled = true;
    try {
      const { status, data } = await api(`/api/gates/${encodeURIComponent(gate)}/open`, {
        method: "POST",
        body: { relay, reason },
      });
      if (status === 401) return onLoggedOut();
      showResult(
        status === 200,
        status === 200 ? t("opened", { gate, relay }) : (data.message ?? String(status)),
      );
    } finally {
      $("open-submit").disabled = false;
    }
  });

  let pendingMode;
  function askMode(gate, mode, select) {
    pendingMode = { gate, mode, select };
    $("mode-what").textContent = t("mode_what", { gate, mode: t(`mode_${mode}`) });
    $("mode-dialog").showModal();
  }

  function resetModeSelect() {
    if (!pendingMode) return;
    const current = state.gates.get(pendingMode.gate)?.mode;
    if (current) pendingMode.select.value = current;
  }

  $("mode-cancel").addEventListener("click", () => {
    resetModeSelect();
    $("mode-dialog").close();
  });
  $("mode-dialog").addEventListener("cancel", resetModeSelect);
  $("mode-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("mode-dialog").close();
    const { gate, mode } = pendingMode;
    const { status, data } = await api(`/api/gates/${encodeURIComponent(gate)}/mode`, {
      method: "POST",
      body: { mode, confirm: true },
    });
    if (status === 401) return onLoggedOut();
    if (status !== 200) resetModeSelect();
    showResult(
      status === 200,
      status === 200 ? t("mode_set", { gate, mode: t(`mode_${mode}`) }) : (data.message ?? String(status)),
    );
  });

  // ── Search ─────────────────────────────────────────────────────────────────────────

  let searchTimer;
  let searchSeq = 0;
  $("search-input").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(search, 250);
  });

  async function search() {
    const q = $("search-input").value.trim();
    const results = $("search-results");
    if (q === "") return results.replaceChildren();
    const seq = ++searchSeq;
    const { status, data } = await api(`/api/search?q=${encodeURIComponent(q.slice(0, 64))}`);
    if (seq !== searchSeq || status !== 200) return;
    if (data.decisions.length === 0)
      return results.replaceChildren(el("li", { cls: "empty", text: t("search_none") }));
    results.replaceChildren(
      ...data.decisions.map((d) => {
        const row = decisionRow(d);
        row.dataset.testid = "search-row";
        row.append(el("span", { cls: "where", text: `${d.gate} / ${d.reader}` }));
        return row;
      }),
    );
  }

  // ── Live updates ───────────────────────────────────────────────────────────────────

  function applySnapshot(snapshot) {
    state.gates = new Map(snapshot.gates.map((g) => [g.gate, g]));
    state.lanes = new Map();
    for (const d of snapshot.decisions) addDecision(d);
    state.alarms = new Map(snapshot.alarms.map((a) => [a.id, a]));
    renderAll();
  }

  function applyLive(event) {
    if (event.type === "gate") {
      state.gates.set(event.gate.gate, event.gate);
      return redraw(event.gate.gate);
    }
    if (event.type === "decision") {
      addDecision(event.decision);
      return redraw(event.decision.gate);
    }
    if (event.type === "alarm") {
      state.alarms.set(event.alarm.id, event.alarm);
      return renderAlarms();
    }
  }

  const connection = $("connection");
  const source = new EventSource("/api/events");
  source.addEventListener("snapshot", (e) => {
    connection.textContent = t("live");
    connection.dataset.state = "live";
    applySnapshot(JSON.parse(e.data));
  });
  source.addEventListener("live", (e) => applyLive(JSON.parse(e.data)));
  source.addEventListener("error", async () => {
    connection.textContent = t("reconnecting");
    connection.dataset.state = "reconnecting";
    // EventSource retries by itself, except after an error answer such as 401.
    if (source.readyState === EventSource.CLOSED) {
      const { status } = await api("/api/me");
      if (status === 401) return onLoggedOut();
      setTimeout(() => location.reload(), 5000);
    }
  });

  texts.onChange(() => {
    renderAll();
    if (connection.dataset.state)
      connection.textContent = t(connection.dataset.state === "live" ? "live" : "reconnecting");
  });
  // Ages ("synced 3 min ago") move on by themselves.
  setInterval(renderGates, 30_000);
}
