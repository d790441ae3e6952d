import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { waitUntil } from "../daemon/mqtt/testing/mosquitto.js";
import { DeliveryStore, migrateNotifyDatabase } from "../notify/delivery-store.js";
import { annaAndOleg, notifyPeersPerFile } from "../notify/testing/notify-peers.js";
import { NotifySite } from "../notify/testing/notify-site.js";
import { openDatabase } from "../platform/database/database.js";
import { spawnCli } from "./cli-child.js";
import { runCliInProcess } from "./cli-harness.js";

// `passgate notify …` as a person at a terminal runs it: init, status, test, and run as a
// process stopped by SIGTERM, against a real broker, SMTP server and HTTP receiver.

const peers = notifyPeersPerFile();
let site: NotifySite;

afterEach(async () => {
  await site.close();
  peers.reset();
});

function writeSite(): string {
  site = new NotifySite(peers.broker.url);
  return site.write({
    smtpPort: peers.smtp.port,
    guardians: annaAndOleg(peers.hooks.url),
  });
}

describe("passgate notify init", () => {
  it("writes a commented config that loads, 0640, and refuses to replace it without --force", async () => {
    site = new NotifySite(peers.broker.url);
    const file = join(site.dir, "passgate-notify.yaml");
    const args = [
      "notify",
      "init",
      "--site",
      "school-7",
      "--timezone",
      "Asia/Yekaterinburg",
      "--output",
      file,
    ];
    const first = await runCliInProcess(args);
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).toContain(`wrote ${file}: site school-7, Asia/Yekaterinburg`);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readFileSync(file, "utf8")).toContain("# The guardians' time zone");
    const again = await runCliInProcess(args);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `passgate: ${file} already exists: give --force to replace it, or --output another file\n`,
    );
    const bad = await runCliInProcess([...args, "--force", "--site", "two words"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/:\d+ site: expected one topic level/);
  });
});

describe("passgate notify status", () => {
  it("prints the counts, the refusals and the queue, escaped, and the same as JSON", async () => {
    const config = writeSite();
    const db = openDatabase(join(site.dir, "notify.db"));
    const store = new DeliveryStore(db);
    migrateNotifyDatabase(db);
    const base = {
      guardian: "p-77",
      person: "p-2001",
      name: "Петя",
      gate: "main-1",
      direction: "in" as const,
      passedAt: Date.UTC(2026, 11, 1, 5, 12),
    };
    store.enqueue(
      [
        { ...base, noticeId: "a", channel: "email" },
        { ...base, noticeId: "a", channel: "webhook" },
        { ...base, noticeId: "b", channel: "email", person: "p-\u001b[2Jx" },
      ],
      Date.UTC(2026, 11, 1, 5, 12, 1),
    );
    const [sent, failed] = store.due(Date.UTC(2026, 11, 2), 10);
    store.markSent(sent?.id ?? 0, Date.UTC(2026, 11, 1, 5, 12, 2));
    store.markAttemptFailed(
      failed?.id ?? 0,
      Date.UTC(2026, 11, 1, 5, 12, 3),
      "webhook answered HTTP 404",
      undefined,
    );
    store.countRefusal("no_consent", 0);
    store.countRefusal("bad_signature", 0);
    store.countRefusal("bad_signature", 0);
    db.close();

    const text = await runCliInProcess(["--config", config, "notify", "status"]);
    expect(text).toMatchObject({ code: 0, stderr: "" });
    expect(text.stdout).toBe(
      [
        "deliveries: 1 sent, 1 waiting, 1 given up",
        "refused: bad_signature 2, no_consent 1",
        "waiting (1):",
        "  p-77  email  p-\\x1b[2Jx  main-1 in  attempts 0  next 2026-12-01T08:12:01.000+03:00",
        "given up (1, newest first):",
        "  p-77  webhook  p-2001  main-1 in  attempts 1  at 2026-12-01T08:12:03.000+03:00  webhook answered HTTP 404",
        "",
      ].join("\n"),
    );
    const json = await runCliInProcess(["--config", config, "notify", "status", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      counts: { pending: 1, sent: 1, failed: 1 },
      refused: { bad_signature: 2, no_consent: 1 },
      pending: [{ guardian: "p-77", channel: "email", person: "p-\u001b[2Jx", attempts: 0 }],
      failed: [
        { channel: "webhook", lastError: "webhook answered HTTP 404", doneAt: "2026-12-01T05:12:03.000Z" },
      ],
    });
    expect(json.stdout).not.toContain("\u001b");
  });

  it("says what to do when the notifier never ran or its config is missing", async () => {
    const config = writeSite();
    const never = await runCliInProcess(["--config", config, "notify", "status"]);
    expect(never.code).toBe(1);
    expect(never.stderr).toMatch(/^passgate: no notifier database at .*notify\.db yet: start the notifier/);
    expect(existsSync(join(site.dir, "notify.db"))).toBe(false);
    const missing = await runCliInProcess(["notify", "status"], { cwd: site.dir });
    expect(missing).toMatchObject({
      code: 1,
      stderr:
        "passgate: no notifier config at ./passgate-notify.yaml — pass --config FILE, set PASSGATE_NOTIFY_CONFIG, or write one with passgate notify init\n",
    });
    const badLimit = await runCliInProcess(["--config", config, "notify", "status", "--limit", "many"]);
    expect(badLimit.code).toBe(2);
  });
});

describe("passgate notify test", () => {
  it("sends a test notice on each of the guardian's channels and says how each went", async () => {
    const config = writeSite();
    const ok = await runCliInProcess(["--config", config, "notify", "test", "--guardian", "p-77"]);
    expect(ok).toMatchObject({ code: 0, stdout: "email: sent\nwebhook: sent\n", stderr: "" });
    expect(peers.smtp.mails.map((m) => m.to)).toEqual([["anna@example.ru"]]);
    expect(peers.smtp.mails[0]?.text).toContain(
      "Проверка уведомлений: ваш ребёнок: проход через ворота test (вход)",
    );
    expect(peers.hooks.hooks[0]?.signatureOk).toBe(true);

    peers.hooks.status = 500;
    const failing = await runCliInProcess([
      "--config",
      config,
      "notify",
      "test",
      "--guardian",
      "p-77",
      "--json",
    ]);
    expect(failing.code).toBe(1);
    expect(JSON.parse(failing.stdout)).toEqual({
      guardian: "p-77",
      results: [
        { channel: "email", ok: true },
        { channel: "webhook", ok: false, error: "webhook answered HTTP 500" },
      ],
    });
  });

  it("sends nothing to a guardian without consent, or one not listed", async () => {
    const config = writeSite();
    const refused = await runCliInProcess(["--config", config, "notify", "test", "--guardian", "p-78"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^passgate: guardian p-78 has not consented .*nothing is sent\n$/);
    const unknown = await runCliInProcess(["--config", config, "notify", "test", "--guardian", "p-\u001b9"]);
    expect(unknown.stderr).toMatch(/^passgate: no guardian p-\\x1b9 in /);
    expect(peers.smtp.mails).toEqual([]);
  });
});

describe("passgate notify run", () => {
  it("runs as a process, delivers a notice, reloads on SIGHUP and stops cleanly on SIGTERM", async () => {
    const config = writeSite();
    const run = spawnCli(["--config", config, "notify", "run"]);
    try {
      await waitUntil(() => run.logs.some((l) => l.msg === "mqtt connected"), "the notifier's session");
      await site.publish(site.sign(site.body({ guardians: ["p-77"] })));
      await waitUntil(
        () => peers.smtp.mails.length === 1 && peers.hooks.hooks.length === 1,
        "the mail and the webhook",
      );
      run.child.kill("SIGHUP");
      await waitUntil(() => run.logs.some((l) => l.msg === "gates and guardians read again"), "the reload");
    } finally {
      run.child.kill("SIGTERM");
    }
    expect(await run.exited).toBe(0);
    expect(run.logs.some((l) => l.msg === "notice delivered")).toBe(true);
  }, 30_000);
});
