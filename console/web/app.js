// The guard's desk page: one ES module, no build step (docs/console.md). Every string from
// outside (names, ids, reasons) goes into the page with textContent, never innerHTML.
import { createTexts } from "/texts.js";

const texts = createTexts();
const $ = (id) => document.getElementById(id);
let me;

async function api(path, options = {}) {
  const headers = { accept: "application/json" };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  if (me?.csrf && options.method === "POST") headers["x-csrf-token"] = me.csrf;
  const response = await fetch(path, {
    method: options.method ?? "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: "same-origin",
  });
  let data;
  try {
    data = await response.json();
  } catch {
    data = {};
  }
  return { status: response.status, data };
}

function showLogin() {
  me = undefined;
  $("login").hidden = false;
  $("site").hidden = true;
  $("logout").hidden = true;
  $("who").textContent = "";
  $("login-username").focus();
}

async function loggedIn(user) {
  me = user;
  $("login").hidden = true;
  $("site").hidden = false;
  $("logout").hidden = false;
  const who = () => {
    $("who").textContent = `${user.username} (${texts.t(`role_${user.role}`)})`;
  };
  who();
  texts.onChange(who);
  $("site-name").textContent = user.site;
  const { startSite } = await import("/site-view.js");
  startSite({ me: user, api, texts, onLoggedOut: showLogin });
}

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  const { status, data } = await api("/api/login", {
    method: "POST",
    body: { username: $("login-username").value, password: $("login-password").value },
  });
  $("login-password").value = "";
  if (status === 200) return loggedIn(data);
  $("login-error").textContent = texts.t(status === 429 ? "login_rate_limited" : "login_failed");
});

$("logout").addEventListener("click", async () => {
  await api("/api/logout", { method: "POST" });
  location.reload();
});

$("lang-switch").addEventListener("click", () => texts.toggle());

async function boot() {
  await texts.load(api);
  // A one-time login link carries its code in the fragment, which no server or log sees.
  const match = /^#login=([A-Za-z0-9_-]{1,64})$/.exec(location.hash);
  if (match) {
    history.replaceState(null, "", location.pathname);
    const { status, data } = await api("/api/login/link", { method: "POST", body: { code: match[1] } });
    if (status === 200) return loggedIn(data);
  }
  const { status, data } = await api("/api/me");
  if (status === 200) return loggedIn(data);
  showLogin();
}

boot();
