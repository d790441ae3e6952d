// The pieces of the site view: a decision row and a gate card with its lanes. Every value
// from outside (names, ids, reasons) goes in with textContent, never innerHTML.

/** An element with a class, a data-testid and text, all optional. */
export function el(tag, { cls, testid, text } = {}, ...children) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (testid) node.dataset.testid = testid;
  if (text !== undefined) node.textContent = String(text);
  for (const child of children) if (child) node.append(child);
  return node;
}

/**
 * Renderers bound to the logged-in user, the page's texts and the site's state; `onOpen`
 * and `onMode` are called by a card's Open once button and mode drop-down.
 */
export function createCards({ me, texts, state, onOpen, onMode }) {
  const t = texts.t;
  // One formatter per language: making one costs far more than formatting with it, and a
  // busy site shows dozens of rows a second.
  let format;
  const timeFormat = () => {
    if (format?.lang !== texts.lang)
      format = {
        lang: texts.lang,
        f: new Intl.DateTimeFormat(texts.lang === "ru" ? "ru-RU" : "en-GB", {
          timeZone: me.timeZone,
          hour: "2-digit",
          minute: "2-digit",
          second: "2-digit",
        }),
      };
    return format.f;
  };
  const time = (at) => timeFormat().format(new Date(at));

  function age(at) {
    const s = Math.max(0, Math.round((Date.now() - at) / 1000));
    if (s < 120) return t("ago_s", { n: s });
    if (s < 7200) return t("ago_min", { n: Math.round(s / 60) });
    if (s < 172800) return t("ago_h", { n: Math.round(s / 3600) });
    return t("ago_d", { n: Math.round(s / 86400) });
  }

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
    for (const reader of state.lanes.get(gate.gate)?.keys() ?? []) ids.add(reader);
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
      open.addEventListener("click", () => onOpen(gate.gate, relay));
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
      select.addEventListener("change", () => onMode(gate.gate, select.value, select));
      card.append(el("div", { cls: "row" }, el("strong", { text: `${t("mode")}:` }), select));
    }

    for (const reader of laneIds(gate)) {
      const lane = el("section", { cls: "lane", testid: `lane-${gate.gate}-${reader}` });
      lane.append(el("h4", { text: t("lane", { lane: reader }) }));
      const rows = state.lanes.get(gate.gate)?.get(reader) ?? [];
      const list = el("ul", { cls: "decisions" });
      if (rows.length === 0) list.append(el("li", { cls: "empty", text: t("no_decisions") }));
      for (const d of rows) list.append(decisionRow(d));
      lane.append(list);
      card.append(lane);
    }
    return card;
  }

  return { time, decisionRow, gateCard };
}
