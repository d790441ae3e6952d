import { afterAll, beforeAll } from "vitest";
import { TestMosquitto } from "../../daemon/mqtt/testing/mosquitto.js";
import type { GuardianEntry } from "./notify-site.js";
import { WEBHOOK_SECRET } from "./notify-site.js";
import { TestSmtpServer } from "./test-smtp-server.js";
import { TestWebhookReceiver } from "./test-webhook-receiver.js";

/** What a notifier talks to: the site's broker, the SMTP server and a guardian's webhook receiver. */
export interface NotifyPeers {
  readonly broker: TestMosquitto;
  readonly smtp: TestSmtpServer;
  /** Checks each webhook's signature with `WEBHOOK_SECRET`, as `NotifySite` writes it. */
  readonly hooks: TestWebhookReceiver;
  /** Forgets what the last test delivered; the receiver answers 200 again. */
  reset(): void;
}

/**
 * A real mosquitto, SMTP server and webhook receiver for a test file of the notifier:
 * started before its first test, closed after its last. Call it at the top of the file.
 */
export function notifyPeersPerFile(): NotifyPeers {
  let peers: { broker: TestMosquitto; smtp: TestSmtpServer; hooks: TestWebhookReceiver } | undefined;
  beforeAll(async () => {
    peers = {
      broker: await TestMosquitto.start(),
      smtp: await TestSmtpServer.start(),
      hooks: await TestWebhookReceiver.start(WEBHOOK_SECRET),
    };
  });
  afterAll(async () => {
    await peers?.hooks.close();
    await peers?.smtp.down();
    await peers?.broker.close();
  });
  const started = () => {
    if (peers === undefined)
      throw new Error("the notifier's peers are there only while the file's tests run");
    return peers;
  };
  return {
    get broker() {
      return started().broker;
    },
    get smtp() {
      return started().smtp;
    },
    get hooks() {
      return started().hooks;
    },
    reset() {
      const { smtp, hooks } = started();
      smtp.mails.splice(0);
      hooks.hooks.splice(0);
      hooks.status = 200;
    },
  };
}

/**
 * The two guardians the notifier's tests share: p-77 Anna, who consented, by e-mail and by
 * webhook to `webhookUrl`; p-78 Oleg, who did not.
 */
export function annaAndOleg(webhookUrl: string): GuardianEntry[] {
  return [
    {
      id: "p-77",
      name: "Иванова Анна",
      consent: true,
      email: "anna@example.ru",
      webhook: { url: webhookUrl },
    },
    { id: "p-78", name: "Иванов Олег", consent: false, email: "oleg@example.ru" },
  ];
}
