// The page's words in Russian and English. The gate's reason codes are worded by the server
// (GET /api/texts, from the gate's own reason texts), so there is one source for them.

const UI = {
  en: {
    title: "Guard's desk",
    logout: "Log out",
    login_title: "Log in",
    username: "Username",
    password: "Password",
    login_submit: "Log in",
    login_failed: "Wrong username or password.",
    login_rate_limited: "Too many failed logins. Wait a few minutes and try again.",
    role_guard: "guard",
    role_admin: "admin",
    alarms: "Alarms",
    no_alarms: "No alarms.",
    acknowledge: "Acknowledge",
    acked_by: "acknowledged by {by} at {at}",
    search: "Find a person (today)",
    search_hint: "Person id, credential or name",
    search_none: "Nothing today.",
    online: "online",
    offline: "offline",
    mode: "Mode",
    mode_normal: "normal",
    mode_lockdown: "lockdown",
    mode_free: "free passage",
    relays: "Relays",
    readers: "Readers",
    bridges: "Bridges",
    allowlist: "Allowlist",
    allowlist_version: "version {version}, synced {age} ago",
    allowlist_version_only: "version {version}",
    reachable: "reachable",
    unreachable: "unreachable",
    connected: "connected",
    disconnected: "disconnected",
    lane: "Lane {lane}",
    no_decisions: "No passes yet.",
    granted: "granted",
    denied: "denied",
    passed: "passed",
    not_passed: "turned back",
    open_once: "Open {relay} once",
    open_title: "Open once",
    open_what: "Open {relay} at {gate} once.",
    open_reason: "Reason (3–120 characters)",
    open_submit: "Open",
    cancel: "Cancel",
    mode_title: "Change the mode",
    mode_what: "Set {gate} to {mode}?",
    mode_confirm: "Change",
    action_ok: "Done: {what}.",
    action_failed: "Not done: {why}",
    opened: "{relay} at {gate} opened",
    mode_set: "{gate} is now in mode {mode}",
    live: "live",
    reconnecting: "reconnecting…",
    ago_s: "{n} s",
    ago_min: "{n} min",
    ago_h: "{n} h",
    ago_d: "{n} d",
    alarm_forced_passage: "Forced passage",
    alarm_relay_offline: "Relay offline",
    alarm_bridge_offline: "Reader bridge offline",
    alarm_gate_offline: "Gate offline",
    alarm_allowlist_stale: "Allowlist out of date",
    alarm_database_corrupt: "Gate database damaged",
    alarm_clock_unsynced: "Gate clock not synchronised",
  },
  ru: {
    title: "Пост охраны",
    logout: "Выйти",
    login_title: "Вход",
    username: "Имя пользователя",
    password: "Пароль",
    login_submit: "Войти",
    login_failed: "Неверное имя пользователя или пароль.",
    login_rate_limited: "Слишком много неудачных попыток. Подождите несколько минут.",
    role_guard: "охранник",
    role_admin: "администратор",
    alarms: "Тревоги",
    no_alarms: "Тревог нет.",
    acknowledge: "Принять",
    acked_by: "принял {by} в {at}",
    search: "Найти человека (сегодня)",
    search_hint: "Номер человека, пропуска или имя",
    search_none: "Сегодня ничего.",
    online: "в сети",
    offline: "не в сети",
    mode: "Режим",
    mode_normal: "обычный",
    mode_lockdown: "блокировка",
    mode_free: "свободный проход",
    relays: "Реле",
    readers: "Считыватели",
    bridges: "Мосты",
    allowlist: "Список допуска",
    allowlist_version: "версия {version}, обновлён {age} назад",
    allowlist_version_only: "версия {version}",
    reachable: "доступно",
    unreachable: "недоступно",
    connected: "подключён",
    disconnected: "отключён",
    lane: "Проход {lane}",
    no_decisions: "Проходов пока нет.",
    granted: "разрешено",
    denied: "отказано",
    passed: "проход",
    not_passed: "без прохода",
    open_once: "Открыть {relay} один раз",
    open_title: "Открыть один раз",
    open_what: "Открыть {relay} на {gate} один раз.",
    open_reason: "Причина (3–120 символов)",
    open_submit: "Открыть",
    cancel: "Отмена",
    mode_title: "Смена режима",
    mode_what: "Перевести {gate} в режим «{mode}»?",
    mode_confirm: "Сменить",
    action_ok: "Выполнено: {what}.",
    action_failed: "Не выполнено: {why}",
    opened: "{relay} на {gate} открыто",
    mode_set: "{gate} теперь в режиме «{mode}»",
    live: "на связи",
    reconnecting: "переподключение…",
    ago_s: "{n} с",
    ago_min: "{n} мин",
    ago_h: "{n} ч",
    ago_d: "{n} дн",
    alarm_forced_passage: "Проход без разрешения",
    alarm_relay_offline: "Реле не на связи",
    alarm_bridge_offline: "Мост считывателя не на связи",
    alarm_gate_offline: "Проходная не на связи",
    alarm_allowlist_stale: "Список допуска устарел",
    alarm_database_corrupt: "База данных проходной повреждена",
    alarm_clock_unsynced: "Часы проходной не синхронизированы",
  },
};

const STORAGE_KEY = "passgate-console-lang";

function initialLang() {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === "ru" || saved === "en") return saved;
  return (navigator.language || "en").toLowerCase().startsWith("ru") ? "ru" : "en";
}

export function createTexts() {
  let lang = initialLang();
  let reasons = {};
  const listeners = new Set();

  const fill = (text, values) =>
    text.replace(/\{(\w+)\}/g, (_, k) => (k in values ? String(values[k]) : `{${k}}`));

  const texts = {
    get lang() {
      return lang;
    },
    t(key, values = {}) {
      return fill(UI[lang][key] ?? UI.en[key] ?? key, values);
    },
    /** A gate's reason code in words; the code itself when the server has no text for it. */
    reason(code) {
      return reasons[code]?.[lang] ?? code;
    },
    async load(api) {
      const { status, data } = await api("/api/texts");
      if (status === 200) reasons = data.reasons ?? {};
      texts.apply();
    },
    toggle() {
      lang = lang === "ru" ? "en" : "ru";
      localStorage.setItem(STORAGE_KEY, lang);
      texts.apply();
    },
    onChange(listener) {
      listeners.add(listener);
    },
    apply() {
      document.documentElement.lang = lang;
      for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = texts.t(el.dataset.i18n);
      for (const el of document.querySelectorAll("[data-i18n-placeholder]"))
        el.placeholder = texts.t(el.dataset.i18nPlaceholder);
      document.title = texts.t("title");
      // The switch names the language it switches to.
      document.getElementById("lang-switch").textContent = lang === "ru" ? "EN" : "RU";
      for (const listener of listeners) listener(lang);
    },
  };
  return texts;
}
