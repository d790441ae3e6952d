import type { DenyReason, GrantReason } from "./reasons.js";

/** What a display at the turnstile says, short enough for a small screen. */
export interface ReasonText {
  readonly en: string;
  readonly ru: string;
}

/**
 * A short text for every reason, in English and Russian, for the person at the gate. It
 * says what to do, never why a code failed in detail (that would help someone forging
 * codes): all token failures read "code not accepted".
 */
export const REASON_TEXTS: Readonly<Record<DenyReason | GrantReason, ReasonText>> = {
  ok: { en: "Welcome", ru: "Проходите" },
  free_passage: { en: "Free passage", ru: "Свободный проход" },
  malformed: { en: "Not a pass code", ru: "Это не код пропуска" },
  unknown_credential: { en: "Code not accepted", ru: "Код не принят" },
  scheme_mismatch: { en: "Code not accepted", ru: "Код не принят" },
  expired: { en: "Code expired: show a new one", ru: "Код устарел: покажите новый" },
  not_yet_valid: { en: "Check your phone's clock", ru: "Проверьте время на телефоне" },
  bad_signature: { en: "Code not accepted", ru: "Код не принят" },
  replayed: { en: "Code already used: show a new one", ru: "Код уже использован: покажите новый" },
  lockdown: { en: "Gate closed", ru: "Проход закрыт" },
  locked_out: { en: "Pass blocked: see the guard", ru: "Пропуск заблокирован: обратитесь к охране" },
  stale_scan: {
    en: "Too slow: scan again",
    ru: "Задержка связи: приложите код ещё раз",
  },
  reader_throttled: {
    en: "Reader paused: see the guard",
    ru: "Считыватель приостановлен: обратитесь к охране",
  },
  suspended: { en: "Pass suspended: see the guard", ru: "Пропуск приостановлен: обратитесь к охране" },
  revoked: { en: "Pass revoked: see the guard", ru: "Пропуск отозван: обратитесь к охране" },
  allowlist_stale: { en: "Gate offline: see the guard", ru: "Турникет без связи: обратитесь к охране" },
  credential_not_yet_valid: { en: "Pass not valid yet", ru: "Пропуск ещё не действует" },
  credential_expired: { en: "Pass expired", ru: "Срок пропуска истёк" },
  not_allowed_here: { en: "No access at this gate", ru: "Нет доступа через этот проход" },
  outside_schedule: { en: "No access at this time", ru: "Нет доступа в это время" },
  assurance_too_low: { en: "Confirm your identity first", ru: "Сначала подтвердите личность" },
  anti_passback: { en: "Already passed: use the other way", ru: "Вы уже прошли: используйте другой проход" },
  anti_passback_partition: {
    en: "No link to the site: see the guard",
    ru: "Нет связи с площадкой: обратитесь к охране",
  },
  relay_offline: { en: "Gate out of order: see the guard", ru: "Турникет не работает: обратитесь к охране" },
  database_corrupt: {
    en: "Gate out of order: see the guard",
    ru: "Турникет не работает: обратитесь к охране",
  },
  internal_error: { en: "Try again", ru: "Попробуйте ещё раз" },
};

/** What a reader bridge shows when its gate did not answer a scan in time (docs/bridge.md). */
export const NO_ANSWER_TEXT: ReasonText = {
  en: "No answer: scan again",
  ru: "Нет ответа: приложите код ещё раз",
};
