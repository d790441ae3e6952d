import { z } from "zod";
import { checkYamlConfig } from "../config/load-config.js";
import { personIdSchema } from "./notice.js";
import { emailAddress } from "./notify-config.js";
import { readListFile } from "./read-list-file.js";

/** Most guardians one file lists: a large school has a few thousand families. */
export const MAX_GUARDIANS = 50_000;

/** http or https only: a webhook is a web address, never a file or another scheme. */
const webhookUrl = z
  .string()
  .max(2_048)
  .refine((text) => {
    try {
      const url = new URL(text);
      return (
        (url.protocol === "https:" || url.protocol === "http:") && url.username === "" && url.password === ""
      );
    } catch {
      return false;
    }
  }, "expected an http:// or https:// address without a user name or password in it");

const guardianSchema = z.strictObject({
  id: personIdSchema,
  /** How the guardian is called in `status` and in the logs of the service, never in a notice. */
  name: z.string().min(1).max(200),
  /** Whether this guardian agreed to get notices. Without it nothing is sent to them. */
  consent: z.boolean(),
  email: emailAddress.optional(),
  webhook: z.strictObject({ url: webhookUrl }).optional(),
});

export type Guardian = z.infer<typeof guardianSchema>;

const guardianFileSchema = z
  .strictObject({ guardians: z.array(guardianSchema).max(MAX_GUARDIANS) })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.guardians.forEach((g, i) => {
      if (seen.has(g.id))
        ctx.addIssue({ code: "custom", path: ["guardians", i, "id"], message: `"${g.id}" is listed twice` });
      seen.add(g.id);
    });
  });

/** The channels a guardian can be reached on. */
export type ChannelKind = "email" | "webhook";

/**
 * The guardians of a site by id, from the guardians file (docs/notices.md). Read once at
 * start; a changed file takes effect when the service restarts.
 */
export class GuardianDirectory {
  private readonly byId: ReadonlyMap<string, Guardian>;

  constructor(guardians: readonly Guardian[]) {
    this.byId = new Map(guardians.map((g) => [g.id, g]));
  }

  get(id: string): Guardian | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }

  /** The channels of a guardian who consented; empty without consent or an address. */
  channels(guardian: Guardian): ChannelKind[] {
    if (!guardian.consent) return [];
    const channels: ChannelKind[] = [];
    if (guardian.email !== undefined) channels.push("email");
    if (guardian.webhook !== undefined) channels.push("webhook");
    return channels;
  }
}

/** Reads the guardians file; throws `ConfigError` with each problem's line. */
export function loadGuardianDirectory(path: string): GuardianDirectory {
  const checked = checkYamlConfig(
    readListFile(path, "the guardians file"),
    path,
    guardianFileSchema,
    (file) => file,
  );
  if (!checked.ok) throw checked.error;
  return new GuardianDirectory(checked.config.guardians);
}
