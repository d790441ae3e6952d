import { SMTPServer } from "smtp-server";
import { freeLoopbackPort } from "../../daemon/mqtt/testing/mosquitto.js";
import { type ReadMail, readMail } from "./read-mail.js";

/** A mail as the test server took it: the envelope and the message read back. */
export interface ReceivedMail extends ReadMail {
  readonly from: string;
  readonly to: readonly string[];
  /** The user the client logged in as, if it did. */
  readonly user: string | undefined;
}

/**
 * A real SMTP server (the `smtp-server` package) on a free loopback port, keeping every mail
 * it is given. Plain SMTP (no STARTTLS offered) with optional login; `down()` and `up()` stop
 * and start it on the same port: a mail server outage.
 */
export class TestSmtpServer {
  readonly mails: ReceivedMail[] = [];
  private server: SMTPServer | undefined;

  private constructor(
    readonly port: number,
    private readonly login: { readonly user: string; readonly password: string } | undefined,
  ) {}

  static async start(login?: { user: string; password: string }): Promise<TestSmtpServer> {
    const server = new TestSmtpServer(await freeLoopbackPort(), login);
    await server.up();
    return server;
  }

  async up(): Promise<void> {
    const login = this.login;
    const server = new SMTPServer({
      disabledCommands: ["STARTTLS"],
      authOptional: login === undefined,
      allowInsecureAuth: true,
      logger: false,
      onAuth: (auth, _session, done) => {
        if (login !== undefined && auth.username === login.user && auth.password === login.password)
          done(null, { user: auth.username });
        else done(new Error("invalid login"));
      },
      onData: (stream, session, done) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          const envelopeFrom = session.envelope.mailFrom;
          this.mails.push({
            ...readMail(Buffer.concat(chunks).toString("utf8")),
            from: envelopeFrom === false ? "" : envelopeFrom.address,
            to: session.envelope.rcptTo.map((r) => r.address),
            user: typeof session.user === "string" ? session.user : undefined,
          });
          done();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
