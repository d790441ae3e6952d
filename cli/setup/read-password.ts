import type { Readable } from "node:stream";

/** Longest password read; the console refuses longer ones anyway. */
const MAX_INPUT = 1024;

/**
 * Reads a password from `--password-stdin` (everything on stdin, one trailing line ending
 * removed) or, on a terminal, typed without echo and asked twice. Never from the command
 * line: argv is visible to every user of the machine (ps) and kept in shell history.
 */
export async function readPassword(options: {
  readonly fromStdin: boolean;
  readonly prompt: string;
  readonly stdin?: NodeJS.ReadStream;
  readonly stderr?: NodeJS.WriteStream;
}): Promise<string> {
  const stdin = options.stdin ?? process.stdin;
  const stderr = options.stderr ?? process.stderr;
  if (options.fromStdin) return (await readAll(stdin)).replace(/\r?\n$/, "");
  if (!stdin.isTTY) throw new Error("no terminal to ask the password on: pipe it in with --password-stdin");
  const first = await readHidden(stdin, stderr, `${options.prompt}: `);
  const again = await readHidden(stdin, stderr, `${options.prompt} again: `);
  if (first !== again) throw new Error("the two passwords differ: nothing changed");
  return first;
}

async function readAll(stream: Readable): Promise<string> {
  let text = "";
  for await (const chunk of stream) {
    text += String(chunk);
    if (text.length > MAX_INPUT)
      throw new Error(`the password on stdin is longer than ${MAX_INPUT} characters`);
  }
  return text;
}

/**
 * One line typed on the terminal with echo off (raw mode): Enter ends it, Backspace takes
 * a character back, Ctrl-C and Ctrl-D give up. Node has no getpass; readline would echo.
 */
function readHidden(stdin: NodeJS.ReadStream, stderr: NodeJS.WriteStream, prompt: string): Promise<string> {
  stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding("utf8");
  return new Promise((resolve, reject) => {
    let text = "";
    const done = (err?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write("\n");
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003" || ch === "\u0004") return done(new Error("cancelled: nothing changed"));
        if (ch === "\u007f" || ch === "\b") text = text.slice(0, -1);
        else if (ch >= " ") text += ch;
        if (text.length > MAX_INPUT) return done(new Error(`longer than ${MAX_INPUT} characters`));
      }
    };
    stdin.on("data", onData);
  });
}
