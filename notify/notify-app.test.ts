import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { waitUntil } from "../daemon/mqtt/testing/mosquitto.js";
import { systemClock } from "../platform/clock.js";
import { createLogger } from "../platform/log/logger.js";
import { type RunningNotifier, startNotifier } from "./notify-app.js";
import { loadNotifyConfig } from "./notify-config.js";
import { annaAndOleg, notifyPeersPerFile } from "./testing/notify-peers.js";
import { type GuardianEntry, NotifySite, WEBHOOK_SECRET } from "./testing/notify-site.js";

// The notifier as it runs: a real mosquitto carries the gates' signed notices, a real SMTP
// server and a real HTTP receiver take what it delivers.

const peers = notifyPeersPerFile();
let site: NotifySite;
let notifier: RunningNotifier | undefined;
let log = "";

function guardians(): GuardianEntry[] {
  return [
    ...annaAndOleg(peers.hooks.url),
    { id: "p-80", name: "Сидорова Мария", consent: true, email: "maria@example.ru" },
  ];
}

async function start(): Promise<RunningNotifier> {
  const logger = createLogger({
    level: "debug",
    destination: new Writable({
      write(chunk, _enc, done) {
        log += String(chunk);
        done();
      },
    }),
  });
  notifier = await startNotifier(loadNotifyConfig(site.configFile), { clock: systemClock, logger });
  await waitUntil(() => notifier?.connection.connected === true, "the notifier's MQTT session");
  return notifier;
}

/**
 * Publishes a notice for p-80 alone and waits for its mail: notices are handled in the order
 * they arrive, so everything published before it has been handled when it is delivered.
 */
async function sentinel(): Promise<void> {
  const body = site.body({ guardians: ["p-80"], name: "Маркер" });
  await site.publish(site.sign(body));
  await waitUntil(
    () =>
      peers.smtp.mails.some((m) => m.to.includes("maria@example.ru") && m.text.includes(String("Маркер"))),
    "the marker notice",
  );
  // The server has the mail before the notifier hears it was taken: wait for the record too.
  await waitUntil(() => notifier?.store.counts().pending === 0, "the marker recorded as sent");
  peers.smtp.mails.splice(0);
}

afterEach(async () => {
  await notifier?.stop();
  notifier = undefined;
  await site.close();
  peers.reset();
  log = "";
});

describe("passgate notify", () => {
  it("delivers a notice once by e-mail and once by webhook, in Russian, at the local time", async () => {
    site = new NotifySite(peers.broker.url);
    site.write({ guardians: guardians(), smtpPort: peers.smtp.port });
    const running = await start();
    // A passage a minute ago; its time is written as the clock in Moscow showed it.
    const body = site.body({ at: Date.now() - 60_000, guardians: ["p-77", "p-78", "p-99"] });
    await site.publish(site.sign(body));
    await waitUntil(
      () => peers.smtp.mails.length === 1 && peers.hooks.hooks.length === 1,
      "the mail and the webhook",
    );

    const time = new Intl.DateTimeFormat("ru-RU", {
      timeZone: "Europe/Moscow",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).format(Number(body.at));
    const mail = peers.smtp.mails[0];
    expect(mail?.to).toEqual(["anna@example.ru"]);
    expect(mail?.from).toBe("gate@school7.example");
    expect(mail?.subject).toBe(`Проход: Иванов Петя, ворота main-1 (вход), ${time}`);
    expect(mail?.text).toContain(`Иванов Петя: проход через ворота main-1 (вход) в ${time}.`);
    expect(mail?.html).toContain(`<p>Иванов Петя: проход через ворота main-1 (вход) в ${time}.</p>`);

    const hook = peers.hooks.hooks[0];
    expect(hook?.signatureOk).toBe(true);
    expect(hook?.json).toEqual({
      id: body.id,
      guardian: "p-77",
      person: "p-2001",
      name: "Иванов Петя",
      gate: "main-1",
      direction: "in",
      at: body.at,
      sentAt: Number(hook?.timestamp),
      text: `Иванов Петя: проход через ворота main-1 (вход) в ${time}`,
    });
    expect(Math.abs(Number(hook?.timestamp) - Date.now())).toBeLessThan(60_000);

    // The guardian without consent (p-78) and the one not listed (p-99) got nothing, counted.
    await waitUntil(() => running.store.counts().sent === 2, "both deliveries recorded as sent");
    expect(running.store.counts()).toEqual({
      pending: 0,
      sent: 2,
      failed: 0,
      refused: { no_consent: 1, unknown_guardian: 1 },
    });
    expect(peers.smtp.mails.some((m) => m.to.includes("oleg@example.ru"))).toBe(false);
    // Addresses, the webhook's URL and the secret stay out of the log.
    expect(log).toContain("notice delivered");
    expect(log).not.toContain("anna@example.ru");
    expect(log).not.toContain(peers.hooks.url);
    expect(log).not.toContain(WEBHOOK_SECRET.toString());
  });

  it("reads the guardians file again on reload: a consent given is used from the next notice", async () => {
    site = new NotifySite(peers.broker.url);
    site.write({ guardians: guardians(), smtpPort: peers.smtp.port });
    const running = await start();
    await site.publish(site.sign(site.body({ guardians: ["p-78"] })));
    await sentinel();
    expect(running.store.counts().refused).toEqual({ no_consent: 1 });

    writeFileSync(join(site.dir, "guardians.yaml"), "guardians: [{id: p-78, name: Олег}]\n");
    expect(() => running.reload()).toThrow(/guardians\.0\.consent/);
    site.write({
      guardians: guardians().map((g) => (g.id === "p-78" ? { ...g, consent: true } : g)),
      smtpPort: peers.smtp.port,
    });
    expect(running.reload()).toEqual({ gates: 2, guardians: 3 });
    await site.publish(site.sign(site.body({ guardians: ["p-78"] })));
    await waitUntil(
      () => peers.smtp.mails.some((m) => m.to.includes("oleg@example.ru")),
      "the mail to the guardian who consented",
    );
    expect(running.store.counts().refused).toEqual({ no_consent: 1 });
  });

  it("delivers nothing twice: not for a repeat from the broker, nor after a restart", async () => {
    site = new NotifySite(peers.broker.url);
    site.write({ guardians: guardians(), smtpPort: peers.smtp.port });
    const first = await start();
    const body = site.body({ guardians: ["p-77"] });
    const signed = site.sign(body);
    await site.publish(signed);
    await site.publish(signed);
    await waitUntil(
      () => peers.smtp.mails.length === 1 && peers.hooks.hooks.length === 1,
      "the first delivery",
    );
    await sentinel();
    await first.stop();
    notifier = undefined;

    // While the service is away the broker keeps its session: the same message again, and
    // the same notice signed anew (another nonce), as a gate that published it twice.
    await site.publish(signed);
    await site.publish(site.sign(body));
    const second = await start();
    await sentinel();
    expect(peers.smtp.mails).toEqual([]);
    expect(peers.hooks.hooks).toHaveLength(1);
    // The first repeat by its nonce, the two after the restart by their queued deliveries.
    expect(second.store.counts().refused.duplicate).toBe(3);
    expect(second.store.counts().sent).toBe(4);
  });

  it("refuses unsigned, forged, other-gate, unknown-gate and stale notices, and counts each", async () => {
    site = new NotifySite(peers.broker.url);
    site.write({ guardians: guardians(), smtpPort: peers.smtp.port });
    const running = await start();
    // Keys the notifier does not know: one under a known gate's id, one of a gate not listed.
    const stranger = new NotifySite(peers.broker.url, ["main-1", "north-9"]);
    try {
      // Unsigned: the bare body, as gates published notices before they were signed.
      await site.publish(JSON.stringify(site.body()));
      // Forged: a valid notice whose body was changed after signing.
      const forged = JSON.parse(site.sign(site.body())) as { body: { direction: string } };
      forged.body.direction = "out";
      await site.publish(JSON.stringify(forged));
      // Signed for another topic (another site): the signature binds the topic.
      await site.publish(site.sign(site.body(), { topic: "passgate/other-site/notify" }));
      // A gate speaking for another gate's passage.
      await site.publish(site.sign(site.body({ gate: "main-1" }), { gate: "side-2" }));
      // A key that is not the roster's, under a gate id that is; and a gate not listed.
      await site.publish(stranger.sign(stranger.body()));
      await site.publish(stranger.sign(stranger.body({ gate: "north-9" })));
      // Signed six minutes ago: older than the five-minute bound.
      await site.publish(site.sign(site.body(), { at: Date.now() - 6 * 60_000 }));
      // A body out of bounds: a hundred guardians.
      await site.publish(
        site.sign(site.body({ guardians: Array.from({ length: 100 }, (_, i) => `p-${i}`) })),
      );
      await sentinel();
      expect(peers.hooks.hooks).toEqual([]);
      expect(running.store.counts().refused).toEqual({
        unsigned: 1,
        bad_signature: 3,
        unknown_signer: 1,
        wrong_gate: 1,
        stale: 1,
        invalid_body: 1,
      });
      expect(running.store.counts().sent).toBe(1);
      // Logged at most once per reason within 10 s.
      expect(log.match(/"reason":"bad_signature"/g)).toHaveLength(1);
    } finally {
      await stranger.close();
    }
  });

  it("an SMTP server that was down gets the mail once it is back, after a retry", async () => {
    site = new NotifySite(peers.broker.url);
    site.write({ guardians: guardians(), smtpPort: peers.smtp.port });
    const running = await start();
    await peers.smtp.down();
    try {
      await site.publish(site.sign(site.body({ guardians: ["p-77"] })));
      await waitUntil(() => peers.hooks.hooks.length === 1, "the webhook, which does not wait for the mail");
      await waitUntil(
        () => running.store.list("pending", 10).some((d) => d.channel === "email" && d.attempts >= 2),
        "two failed attempts at the mail",
      );
      const waiting = running.store.list("pending", 10)[0];
      expect(waiting?.lastError).toMatch(/^SMTP E[A-Z]+/);
      expect(waiting?.lastError).not.toContain("anna@example.ru");
    } finally {
      await peers.smtp.up();
    }
    await waitUntil(() => peers.smtp.mails.length === 1, "the mail after the server came back");
    await waitUntil(() => running.store.counts().sent === 2, "the mail recorded as sent");
    expect(running.store.counts()).toMatchObject({ pending: 0, failed: 0 });
    expect(
      running.store.list("sent", 10).find((d) => d.channel === "email")?.attempts,
    ).toBeGreaterThanOrEqual(3);
  });

  it("a receiver that redirects is given up at once; one that fails is retried", async () => {
    site = new NotifySite(peers.broker.url);
    site.write({ guardians: guardians(), smtpPort: peers.smtp.port });
    const running = await start();
    peers.hooks.status = 302;
    await site.publish(site.sign(site.body({ guardians: ["p-77"] })));
    await waitUntil(() => running.store.counts().failed === 1, "the redirected webhook given up");
    expect(running.store.list("failed", 1)[0]).toMatchObject({
      channel: "webhook",
      attempts: 1,
      lastError: "webhook answered a redirect (HTTP 302), refused",
    });
    peers.hooks.status = 503;
    await site.publish(site.sign(site.body({ guardians: ["p-77"] })));
    await waitUntil(() => peers.hooks.hooks.length >= 3, "the failing webhook tried again");
    peers.hooks.status = 200;
    await waitUntil(() => running.store.counts().pending === 0, "the webhook delivered in the end");
    expect(running.store.counts()).toMatchObject({ sent: 3, failed: 1 });
  });

  it("a name with HTML and control characters is escaped in the mail and harmless in the webhook", async () => {
    site = new NotifySite(peers.broker.url);
    site.write({ guardians: guardians(), smtpPort: peers.smtp.port });
    await start();
    const name = '<img src=x onerror="alert(1)">Петя\u001b[2J\r\nBcc: evil@example.com\u202e';
    await site.publish(site.sign(site.body({ name, guardians: ["p-77"] })));
    await waitUntil(
      () => peers.smtp.mails.length === 1 && peers.hooks.hooks.length === 1,
      "the mail and the webhook",
    );
    const mail = peers.smtp.mails[0];
    expect(mail?.to).toEqual(["anna@example.ru"]);
    expect(mail?.headers).not.toMatch(/^Bcc:/im);
    expect(mail?.html).not.toContain("<img");
    expect(mail?.html).toContain(
      "&#60;img src=x onerror=&#34;alert(1)&#34;&#62;Петя [2J Bcc: evil@example.com",
    );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: checking that none is left.
    const control = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/;
    expect(mail?.text).not.toMatch(control);
    expect(mail?.subject).not.toMatch(control);
    expect(mail?.subject).toContain('<img src=x onerror="alert(1)">Петя [2J Bcc: evil@example.com');
    const hook = peers.hooks.hooks[0];
    expect(hook?.signatureOk).toBe(true);
    const json = hook?.json as { name: string; text: string };
    expect(json.name).toBe('<img src=x onerror="alert(1)">Петя [2J Bcc: evil@example.com');
    expect(json.text).not.toMatch(control);
  });
});
