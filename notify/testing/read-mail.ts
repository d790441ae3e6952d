/**
 * Reads back a MIME message as nodemailer writes it, for tests: the decoded subject and the
 * text and HTML parts. Only what nodemailer produces (multipart/alternative, base64 or
 * quoted-printable parts, RFC 2047 encoded words), not mail at large: no library for it is
 * installed, and this is all the tests need to see what a guardian would read.
 */
export interface ReadMail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** The header block as sent, unfolded. */
  readonly headers: string;
}

function unfold(headers: string): string {
  return headers.replace(/\r?\n[ \t]+/g, " ");
}

function header(headers: string, name: string): string | undefined {
  const line = unfold(headers)
    .split(/\r?\n/)
    .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

/** RFC 2047 `=?UTF-8?B?…?=` and `=?UTF-8?Q?…?=` words, joined as the RFC says (space between words dropped). */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_m, enc: string, data: string) =>
      enc.toLowerCase() === "b"
        ? Buffer.from(data, "base64").toString("utf8")
        : decodeQuotedPrintable(data.replace(/_/g, " ")),
    );
}

function decodeQuotedPrintable(text: string): string {
  const bytes: number[] = [];
  const soft = text.replace(/=\r?\n/g, "");
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i];
    if (c === "=" && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(c ?? "", "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

function decodeBody(headers: string, body: string): string {
  const encoding = header(headers, "Content-Transfer-Encoding")?.toLowerCase();
  if (encoding === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (encoding === "quoted-printable") return decodeQuotedPrintable(body);
  return body;
}

function split(raw: string): { headers: string; body: string } {
  const at = raw.search(/\r?\n\r?\n/);
  if (at < 0) return { headers: raw, body: "" };
  const gap = raw.slice(at).startsWith("\r\n\r\n") ? 4 : 2;
  return { headers: raw.slice(0, at), body: raw.slice(at + gap) };
}

export function readMail(raw: string): ReadMail {
  const { headers, body } = split(raw);
  const type = header(headers, "Content-Type") ?? "text/plain";
  let text = "";
  let html = "";
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  const parts =
    boundary === undefined
      ? [{ headers, body }]
      : body
          .split(`--${boundary}`)
          .slice(1, -1)
          .map((p) => split(p.replace(/^\r?\n/, "")));
  for (const part of parts) {
    const partType = header(part.headers, "Content-Type") ?? "text/plain";
    const decoded = decodeBody(part.headers, part.body);
    if (partType.startsWith("text/html")) html = decoded;
    else if (partType.startsWith("text/plain")) text = decoded;
  }
  return { subject: decodeWords(header(headers, "Subject") ?? ""), text, html, headers: unfold(headers) };
}
