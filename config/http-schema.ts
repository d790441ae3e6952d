import { z } from "zod";

/**
 * The gate's loopback HTTP endpoint: Prometheus `/metrics`, `/health` and the JSON
 * `/status` that `passgate status` reads (docs/operations.md). Absent = no endpoint.
 */
export const httpSchema = z
  .strictObject({
    /** host:port to listen on; loopback unless `allowRemote` (the status names people's credentials). */
    listen: z
      .string()
      .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, "expected host:port such as 127.0.0.1:9464")
      .default("127.0.0.1:9464"),
    /** Listen on a non-loopback address (behind a firewall that admits only the monitoring host). */
    allowRemote: z.boolean().default(false),
  })
  .refine((h) => h.allowRemote || isLoopback(parseListen(h.listen).host), {
    message: "expected a loopback address (127.0.0.1, ::1, localhost) unless allowRemote is true",
    path: ["listen"],
  });
export type HttpConfig = z.infer<typeof httpSchema>;

/** Splits a validated `listen` value into host and port ("[::1]:9464" → "::1", 9464). */
export function parseListen(listen: string): { readonly host: string; readonly port: number } {
  const at = listen.lastIndexOf(":");
  const host = listen.slice(0, at).replace(/^\[|\]$/g, "");
  return { host, port: Number(listen.slice(at + 1)) };
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
