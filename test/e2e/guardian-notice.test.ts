/**
 * A guardian notice travelling the whole way, turnstile to a parent's mailbox:
 *
 * - two real gates of a school (the daemon in this process): main-1 with an entry scanner
 *   (its stdin) and an exit scanner on MQTT, side-2 with a rotation sensor on its entry (an
 *   emulated turnstile). Their allowlists, signed by the registry's key, hold students whose
 *   guardians are to be told; each gate has its signing key;
 * - a real mosquitto carries the gates' signed notices on `<prefix>/<site>/notify`;
 * - the notifier (`startNotifier`, as `passgate notify run` starts it) trusts the gates by
 *   the roster a gate's own `passgate trust list --json` printed, knows the guardians from
 *   its guardians file, and delivers to a real SMTP server and a real webhook receiver.
 *
 * The gates run in UTC and the notifier in Moscow: the time a parent reads is the notifier's.
 */
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  exampleGate,
  nowStep,
  phoneToken,
  putCredentials,
  runGate,
  SITE,
  type Watched,
  watchTopics,
} from "../../app/testing/mqtt-gate-fixture.js";
import { registryCredential } from "../../daemon/allowlist/testing/test-bodies.js";
import { TestMosquitto, waitUntil } from "../../daemon/mqtt/testing/mosquitto.js";
import { gateTopics, guardianNoticeSchema } from "../../daemon/mqtt/topics.js";
import { localTime } from "../../notify/notice-text.js";
import { type RunningNotifier, startNotifier } from "../../notify/notify-app.js";
import { loadNotifyConfig } from "../../notify/notify-config.js";
import { NotifySite, WEBHOOK_SECRET } from "../../notify/testing/notify-site.js";
import { TestSmtpServer } from "../../notify/testing/test-smtp-server.js";
import { TestWebhookReceiver } from "../../notify/testing/test-webhook-receiver.js";
import { systemClock } from "../../platform/clock.js";
import { createLogger } from "../../platform/log/logger.js";
import { TurnstileEmulator } from "../../sim/devices/turnstile-emulator.js";
import { runCliInProcess } from "../cli-harness.js";

const GATE = "main-1";
/** The exit's reader: a firmware scanner publishing each scan as it is (Tasmota-style topic). */
const EXIT_TOPIC = "tele/reader-out/RESULT";
/** A second gate of the school, whose entry has a rotation sensor. */
const SIDE = "side-2";
const SIDE_SENSOR = "stat/ts-side-2/SWITCH1";
/** The notifier's zone (NotifySite's config); the gate's is UTC. */
const NOTIFIER_ZONE = "Europe/Moscow";

let broker: TestMosquitto;
let smtp: TestSmtpServer;
let hooks: TestWebhookReceiver;
let site: NotifySite;
let notifier: RunningNotifier;
let gate: Awaited<ReturnType<typeof runGate>>;
let side: Awaited<ReturnType<typeof runGate>>;
let turnstile: TurnstileEmulator;
let watched: Watched;
let notifierLog = "";
let gateLog = "";

/** A logger writing into `append`, at debug, as a journald reader would see it. */
function capturedLogger(append: (text: string) => void) {
  return createLogger({
    level: "debug",
    destination: new Writable({
      write(chunk, _enc, done) {
        append(String(chunk));
        done();
      },
    }),
  });
}

const topicsOf = (gate: string) => gateTopics({ prefix: "passgate", site: SITE, gate });
const eventsOf = (gate: string, type: string) =>
  watched.json(topicsOf(gate).event).filter((e) => e.type === type);
const decisions = () => eventsOf(GATE, "decision");
/** The notices the gates published, as they went over the broker (signed envelopes). */
const published = () => watched.json(topicsOf(GATE).notify);
/** The body of the `i`th notice published, as the gates' side of the contract reads it. */
const noticeBody = (i: number) => guardianNoticeSchema.parse(published()[i]?.body);

/** The registry's records of this school's students (registry-sync.md), with guardians. */
const STUDENTS = [
  registryCredential("3001", {
    person: "p-3001",
    displayName: "Маша Иванова",
    guardians: ["p-77"],
    notifyGuardians: true,
  }),
  // Guardians listed, but the family did not ask for notices.
  registryCredential("3002", { person: "p-3002", displayName: "Коля Петров", guardians: ["p-77"] }),
  // Notices asked for, but its guardian has not consented (the guardians file says so).
  registryCredential("3003", {
    person: "p-3003",
    displayName: "Оля Сидорова",
    guardians: ["p-78"],
    notifyGuardians: true,
  }),
  // Scanned only while the notifier is away.
  registryCredential("3005", {
    person: "p-3005",
    displayName: "Петя Смирнов",
    guardians: ["p-77"],
    notifyGuardians: true,
  }),
  // Notices asked for, but the card is suspended: every scan of it is denied.
  registryCredential("3004", {
    person: "p-3004",
    status: "suspended",
    guardians: ["p-77"],
    notifyGuardians: true,
  }),
];

/** `passgate --config <file> <args>` on a gate, which must succeed: what it printed. */
async function onGate(file: string, ...args: string[]): Promise<string> {
  const result = await runCliInProcess(["--config", file, ...args]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

/** The gate's member record, as `passgate keys show --json` prints it for the roster. */
async function memberRecord(file: string): Promise<string> {
  return JSON.stringify(
    (JSON.parse(await onGate(file, "keys", "show", "--json")) as { member: unknown }).member,
  );
}

beforeAll(async () => {
  broker = await TestMosquitto.start();
  smtp = await TestSmtpServer.start();
  hooks = await TestWebhookReceiver.start(WEBHOOK_SECRET);

  const { config, file } = await exampleGate({
    gate: GATE,
    timezone: "UTC",
    mqtt: { url: broker.url, siteShare: false },
    readers: [
      { id: "in", direction: "in", source: { type: "stdin" } },
      { id: "out", direction: "out", source: { type: "mqtt", topic: EXIT_TOPIC, format: "raw" } },
    ],
  });
  await putCredentials(config, STUDENTS);
  const sideGate = await exampleGate({
    gate: SIDE,
    timezone: "UTC",
    mqtt: {
      url: broker.url,
      siteShare: false,
      passage: [{ reader: "in", topic: SIDE_SENSOR, payload: "ON", timeout: "800ms" }],
    },
  });
  await putCredentials(sideGate.config, STUDENTS);

  // The roster the notifier trusts, made as docs/notices.md tells on a site without a
  // registry: side-2 trusts main-1 (`keys show` there, `trust add --record` here), adds
  // itself, and its `trust list --json` is the file the notifier reads.
  await onGate(sideGate.file, "trust", "add", "--record", await memberRecord(file));
  await onGate(sideGate.file, "trust", "add", "--record", await memberRecord(sideGate.file));
  const roster = await onGate(sideGate.file, "trust", "list", "--json");

  site = new NotifySite(broker.url, [], SITE);
  site.write({
    roster,
    smtpPort: smtp.port,
    guardians: [
      {
        id: "p-77",
        name: "Иванова Анна",
        consent: true,
        email: "anna@example.ru",
        webhook: { url: hooks.url },
      },
      {
        id: "p-78",
        name: "Сидоров Олег",
        consent: false,
        email: "oleg@example.ru",
        webhook: { url: hooks.url },
      },
    ],
  });
  await startTheNotifier();

  watched = await watchTopics(broker.url, `passgate/${SITE}/#`);
  gate = await runGate(config, {
    logger: capturedLogger((t) => {
      gateLog += t;
    }),
  });
  await waitUntil(() => watched.messages.some((m) => m.topic === topicsOf(GATE).status), "the gate online");
  turnstile = new TurnstileEmulator(SIDE_SENSOR);
  await turnstile.start(broker.url);
  side = await runGate(sideGate.config);
  await waitUntil(() => watched.messages.some((m) => m.topic === topicsOf(SIDE).status), "side-2 online");
  // The exit's scanner is heard once the gate's subscription to it is acknowledged.
  await waitUntil(
    () => gateLog.split("\n").some((l) => l.includes('"reader connected"') && l.includes('"out"')),
    "the exit's reader",
  );
}, 30_000);

afterAll(async () => {
  await side?.stop();
  await turnstile?.stop();
  await gate?.stop();
  await notifier?.stop();
  await watched?.client.endAsync();
  await site?.close();
  await hooks?.close();
  await smtp?.down();
  await broker?.close();
});

/** Starts the notifier on the site's config (and its queue's database) and waits for its session. */
async function startTheNotifier(): Promise<void> {
  notifier = await startNotifier(loadNotifyConfig(site.configFile), {
    clock: systemClock,
    logger: capturedLogger((t) => {
      notifierLog += t;
    }),
  });
  await waitUntil(() => notifier.connection.connected, "the notifier's MQTT session");
}

/** Waits until every notice handed to the notifier so far is delivered and recorded. */
async function delivered(sent: number): Promise<void> {
  await waitUntil(() => notifier.store.counts().sent === sent, `${sent} deliveries recorded as sent`);
  expect(notifier.store.counts().pending).toBe(0);
}

describe("a guardian notice from a gate to a parent", () => {
  it("a student's passage reaches the guardian once by mail and once by webhook, in Russian, at the notifier's local time", async () => {
    const step = nowStep();
    gate.scan(phoneToken("3001", step));
    await waitUntil(() => smtp.mails.length === 1 && hooks.hooks.length === 1, "the mail and the webhook");
    await delivered(2);

    const grant = decisions()[0];
    expect(grant).toMatchObject({ result: "granted", credential: "3001", direction: "in" });
    // The notice the gate signed: the grant's journal entry, its time (the journal's, which
    // can be a millisecond after the scan's on the decision event), the guardians to tell.
    await waitUntil(() => published().length >= 1, "the notice seen on the broker");
    expect(published()).toHaveLength(1);
    expect(published()[0]).toMatchObject({ signer: `gate:${GATE}` });
    const notice = noticeBody(0);
    expect(notice).toMatchObject({
      id: grant?.id,
      person: "p-3001",
      credential: "3001",
      guardians: ["p-77"],
    });
    const at = notice.at;
    const time = localTime(at, NOTIFIER_ZONE);
    // Moscow is three hours from the gate's UTC: the gate's own clock face would be wrong.
    expect(time).not.toBe(localTime(at, "UTC"));

    const mail = smtp.mails[0];
    expect(mail?.to).toEqual(["anna@example.ru"]);
    expect(mail?.subject).toBe(`Проход: Маша Иванова, ворота ${GATE} (вход), ${time}`);
    expect(mail?.text).toContain(`Маша Иванова: проход через ворота ${GATE} (вход) в ${time}.`);
    // One notice, one mail: its Message-ID carries the gate's journal id of the grant.
    expect(mail?.headers).toContain(String(grant?.id));

    const hook = hooks.hooks[0];
    expect(hook?.signatureOk).toBe(true);
    expect(hook?.json).toEqual({
      id: grant?.id,
      guardian: "p-77",
      person: "p-3001",
      name: "Маша Иванова",
      gate: GATE,
      direction: "in",
      at,
      sentAt: Number(hook?.timestamp),
      text: `Маша Иванова: проход через ворота ${GATE} (вход) в ${time}`,
    });
    // What went over the broker names no token: the notice is who, where, when and whom to tell.
    expect(JSON.stringify(published())).not.toContain(phoneToken("3001", step));
  });

  it("only a granted passage of a credential that asks for notices reaches a consenting guardian", async () => {
    const step = nowStep();
    gate.scan(phoneToken("3001", step)); // the same code again: denied (replayed)
    gate.scan(phoneToken("3002", step)); // granted, no notices asked for
    gate.scan(phoneToken("3003", step)); // granted, its guardian did not consent
    gate.scan(phoneToken("3004", step)); // suspended: denied
    await waitUntil(() => decisions().length === 5, "the four decisions");
    // Маша leaves through the exit on the next code: a second passage, a second notice. Last,
    // so once its deliveries are recorded every notice before it has been through the notifier.
    const exitToken = phoneToken("3001", step + 1);
    await watched.client.publishAsync(EXIT_TOPIC, exitToken, { qos: 1 });
    await waitUntil(() => decisions().length === 6, "the exit's decision");
    expect(decisions().map((d) => `${String(d.credential)}:${String(d.result)}:${String(d.reason)}`)).toEqual(
      [
        "3001:granted:ok",
        "3001:denied:replayed",
        "3002:granted:ok",
        "3003:granted:ok",
        "3004:denied:suspended",
        "3001:granted:ok",
      ],
    );
    expect(decisions()[5]).toMatchObject({ reader: "out", direction: "out" });
    await delivered(4);

    // The gate published for the two passages of Маша and Оля's, nothing for the others (a
    // notice published before the last one would have reached this client before it).
    await waitUntil(() => published().length >= 3, "the exit's notice seen on the broker");
    expect(published()).toHaveLength(3);
    const second = decisions()[5];
    expect(smtp.mails).toHaveLength(2);
    expect(smtp.mails.map((m) => m.to)).toEqual([["anna@example.ru"], ["anna@example.ru"]]);
    expect(published().map((_, i) => noticeBody(i).id)).toEqual([
      decisions()[0]?.id,
      decisions()[3]?.id,
      second?.id,
    ]);
    const exitTime = localTime(noticeBody(2).at, NOTIFIER_ZONE);
    expect(smtp.mails[1]?.subject).toBe(`Проход: Маша Иванова, ворота ${GATE} (выход), ${exitTime}`);
    expect(smtp.mails[1]?.text).toContain(`Маша Иванова: проход через ворота ${GATE} (выход) в ${exitTime}.`);
    expect(hooks.hooks.map((h) => (h.json as { id: string; guardian: string }).id)).toEqual([
      decisions()[0]?.id,
      second?.id,
    ]);
    expect(hooks.hooks.every((h) => (h.json as { guardian: string }).guardian === "p-77")).toBe(true);
    // Оля's guardian got nothing and is counted as not having consented; nothing else refused.
    expect(notifier.store.counts()).toEqual({
      pending: 0,
      sent: 4,
      failed: 0,
      refused: { no_consent: 1 },
    });
    // The guardians' addresses stay out of the notifier's log.
    expect(notifierLog).toContain("notice delivered");
    expect(notifierLog).not.toContain("anna@example.ru");
    expect(notifierLog).not.toContain("oleg@example.ru");
    // No scanned code reaches the gate's log either.
    expect(gateLog).toContain('"reader connected"');
    expect(gateLog).not.toContain(exitToken);
    expect(gateLog).not.toContain(phoneToken("3003", step));
  });

  it("at a gate with a rotation sensor, parents hear of the grant walked through, not of one that was not", async () => {
    const step = nowStep();
    const passages = () => eventsOf(SIDE, "passage");
    side.scan(phoneToken("3001", step));
    await waitUntil(() => passages().length === 1, "the grant nobody walked through");
    expect(passages()[0]).toMatchObject({ result: "not_passed", person: "p-3001" });
    side.scan(phoneToken("3001", step + 1));
    await waitUntil(() => eventsOf(SIDE, "decision").length === 2, "the second grant");
    await turnstile.rotate();
    await waitUntil(() => passages().length === 2, "the passage");
    const grant = eventsOf(SIDE, "decision")[1];
    expect(passages()[1]).toMatchObject({ result: "passed", decisionId: grant?.id });

    await waitUntil(
      () => smtp.mails.length === 3 && hooks.hooks.length === 3,
      "the passage's mail and webhook",
    );
    await delivered(6);
    await waitUntil(() => published().length >= 4, "side-2's notice seen on the broker");
    // One notice from side-2, for the passage: none for the grant that timed out before it.
    expect(published()).toHaveLength(4);
    expect(published()[3]).toMatchObject({ signer: `gate:${SIDE}` });
    const notice = noticeBody(3);
    expect(notice).toMatchObject({ id: grant?.id, gate: SIDE, direction: "in", guardians: ["p-77"] });
    const time = localTime(notice.at, NOTIFIER_ZONE);
    expect(smtp.mails[2]?.to).toEqual(["anna@example.ru"]);
    expect(smtp.mails[2]?.subject).toBe(`Проход: Маша Иванова, ворота ${SIDE} (вход), ${time}`);
    expect(hooks.hooks[2]?.json).toMatchObject({
      id: grant?.id,
      guardian: "p-77",
      gate: SIDE,
      at: notice.at,
    });
  });

  it("a passage while the notifier is away reaches the parent once it is back", async () => {
    await notifier.stop();
    gate.scan(phoneToken("3005", nowStep()));
    // The gate published it (QoS 1); the broker keeps it in the notifier's session meanwhile.
    await waitUntil(() => published().length === 5, "the notice published while the notifier is away");
    expect(noticeBody(4)).toMatchObject({ person: "p-3005", gate: GATE, guardians: ["p-77"] });
    expect(smtp.mails).toHaveLength(3);

    await startTheNotifier();
    await waitUntil(() => smtp.mails.length === 4 && hooks.hooks.length === 4, "the mail and the webhook");
    await delivered(8);
    const time = localTime(noticeBody(4).at, NOTIFIER_ZONE);
    expect(smtp.mails[3]?.subject).toBe(`Проход: Петя Смирнов, ворота ${GATE} (вход), ${time}`);
    expect(hooks.hooks[3]?.json).toMatchObject({ id: noticeBody(4).id, person: "p-3005" });
  });
});
