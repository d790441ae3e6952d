import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A unix datagram socket standing in for systemd's notify socket; prints each message on a line. */
export function notifySocket(): { path: string; messages: string[]; process: ChildProcess } {
  const path = join(mkdtempSync(join(tmpdir(), "passgate-notify-")), "notify.sock");
  const receiver = spawn("python3", [
    "-u",
    "-c",
    `import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    print(s.recv(4096).decode().replace("\\n", "|"), flush=True)`,
    path,
  ]);
  const messages: string[] = [];
  let partial = "";
  receiver.stdout.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    messages.push(...lines);
  });
  return { path, messages, process: receiver };
}
