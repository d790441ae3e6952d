// The site view: a card per gate with its lanes, the alarms, the actions and the person
// search, kept live from /api/events. Every value from outside goes in with textContent.

const $ = (id) => document.getElementById(id);

/** An element with a class, a data-testid and text, all optional. */
function el(tag, { cls, testid, text } = {}, ...children) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (testid) node.dataset.testid = testid;
  if (text !== undefined) node.textContent = String(text);
  for (const child of children) if (child) node.append(child);
  return node;
}

export function startSite({ me, api, texts, onLoggedOut }) {
  const state = { gates: new Map(), decisions: new Map(), alarms: new Map() };
  const t = texts.t;

  const timeFormat = () =>
    new Intl.DateTimeFormat(texts.lang === "ru" ? "ru-RU" : "en-GB", {
      timeZone: me.timeZone,
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
  const time = (at) => timeFormat().format(new Date(at));

  function age(at) {
    const s = Math.max(0, Math.round((Date.now() - at) / 1000));
    if (s < 120) return t("ago_s", { n: s });
    if (s < 7200) return t("ago_min", { n: Math.round(s / 60) });
    if (s < 172800) return t("ago_h", { n: Math.round(s / 3600) });
    return t("ago_d", { n: Math.round(s / 86400) });
  }

  // ── Rendering ──────────────────────────────────────────────────────────────────────

  function decisionRow(d) {
    const who = d.name ?? d.person ?? d.credential ?? "—";
    const row = el(
      "li",
      { cls: d.result, testid: "decision-row" },
      el("span", { cls: "time", testid: "decision-time", text: time(d.at) }),
      el("span", { cls: "result", testid: "decision-result", text: t(d.result) }),
      el("span", { cls: "who", testid: "decision-name", text: who }),
    );
    row.dataset.decision = d.id;
    const reason = el("span", { cls: "reason", testid: "decision-reason", text: texts.reason(d.reason) });
    reason.title = d.reason;
    row.append(reason);
    if (d.passage) row.append(el("span", { cls: "passage", testid: "decision-passage", text: t(d.passage) }));
    return row;
  }

  function laneIds(gate) {
    const ids = new Set((gate.readers ?? []).map((r) => r.id));
    for (const d of state.decisions.values()) if (d.gate === gate.gate) ids.add(d.reader);
    return [...ids].sort();
  }

  function gateCard(gate) {
    const card = el("article", {
      cls: `gate ${gate.online ? "online" : "offline"}`,
      testid: `gate-card-${gate.gate}`,
    });
    const online = el("span", {
      cls: `badge ${gate.online ? "good" : "bad"}`,
      testid: `gate-online-${gate.gate}`,
      text: t(gate.online ? "online" : "offline"),
    });
    const mode = el("span", {
      cls: `badge ${gate.mode === "normal" ? "" : "bad"}`,
      testid: `gate-mode-${gate.gate}`,
      text: gate.mode ? t(`mode_${gate.mode}`) : "—",
    });
    card.append(el("h3", {}, el("span", { text: gate.gate }), online, mode));

    const relays = el("div", { cls: "row" }, el("strong", { text: `${t("relays")}:` }));
    for (const [relay, up] of Object.entries(gate.relays ?? {})) {
      relays.append(
        el("span", {
          cls: `badge ${up ? "good" : "bad"}`,
          testid: `relay-${gate.gate}-${relay}`,
          text: `${relay}: ${t(up ? "reachable" : "unreachable")}`,
        }),
      );
      const open = el("button", {
        testid: `open-relay-${gate.gate}-${relay}`,
        text: t("open_once", { relay }),
      });
      open.type = "button";
      open.addEventListener("click", () => askOpen(gate.gate, relay));
      relays.append(open);
    }
    card.append(relays);

    const readers = el("div", { cls: "row" }, el("strong", { text: `${t("readers")}:` }));
    for (const r of gate.readers ?? [])
      readers.append(
        el("span", {
          cls: `badge ${r.connected === false ? "bad" : "good"}`,
          testid: `reader-${gate.gate}-${r.id}`,
          text: `${r.id}${r.direction ? ` (${r.direction})` : ""}: ${t(r.connected === false ? "disconnected" : "connected")}`,
        }),
      );
    card.append(readers);

    if ((gate.bridges ?? []).length > 0) {
      const bridges = el("div", { cls: "row" }, el("strong", { text: `${t("bridges")}:` }));
      for (const b of gate.bridges)
        bridges.append(
          el("span", {
            cls: `badge ${b.status === "online" ? "good" : "bad"}`,
            testid: `bridge-${gate.gate}-${b.id}`,
            text: `${b.id}: ${b.status === "online" ? t("online") : t("offline")}`,
          }),
        );
      card.append(bridges);
    }

    if (gate.allowlist) {
      const text =
        gate.allowlist.syncedAt !== undefined
          ? t("allowlist_version", { version: gate.allowlist.version, age: age(gate.allowlist.syncedAt) })
          : t("allowlist_version_only", { version: gate.allowlist.version });
      card.append(
        el(
          "div",
          { cls: "row" },
          el("strong", { text: `${t("allowlist")}:` }),
          el("span", { testid: `gate-allowlist-${gate.gate}`, text }),
        ),
      );
    }

    if (me.role === "admin") {
      const select = el("select", { testid: `mode-select-${gate.gate}` });
      for (const m of ["normal", "lockdown", "free"]) {
        const option = el("option", { text: t(`mode_${m}`) });
        option.value = m;
        option.selected = m === gate.mode;
        select.append(option);
      }
      select.addEventListener("change", () => askMode(gate.gate, select.value, select));
      card.append(el("div", { cls: "row" }, el("strong", { text: `${t("mode")}:` }), select));
    }

    for (const reader of laneIds(gate)) {
      const lane = el("section", { cls: "lane", testid: `lane-${gate.gate}-${reader}` });
      lane.append(el("h4", { text: t("lane", { lane: reader }) }));
      const rows = [...state.decisions.values()]
        .filter((d) => d.gate === gate.gate && d.reader === reader)
        .sort((a, b) => b.at - a.at)
        .slice(0, 20);
      const list = el("ul", { cls: "decisions" });
      if (rows.length === 0) list.append(el("li", { cls: "empty", text: t("no_decisions") }));
      for (const d of rows) list.append(decisionRow(d));
      lane.append(list);
      card.append(lane);
    }
    return card;
  }

  function renderGates() {
    const gates = $("gates");
    gates.replaceChildren(
      ...[...state.gates.values()].sort((a, b) => a.gate.localeCompare(b.gate)).map(gateCard),
    );
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
    state.decisions = new Map(snapshot.decisions.map((d) => [d.id, d]));
    state.alarms = new Map(snapshot.alarms.map((a) => [a.id, a]));
    renderAll();
  }

  function applyLive(event) {
    if (event.type === "gate") {
      state.gates.set(event.gate.gate, event.gate);
      return renderGates();
    }
    if (event.type === "decision") {
      state.decisions.set(event.decision.id, event.decision);
      // Keep the page's memory bounded: 20 per lane is what is shown.
      const lane = [...state.decisions.values()]
        .filter((d) => d.gate === event.decision.gate && d.reader === event.decision.reader)
        .sort((a, b) => b.at - a.at);
      for (const old of lane.slice(20)) state.decisions.delete(old.id);
      return renderGates();
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
