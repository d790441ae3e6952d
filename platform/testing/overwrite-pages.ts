import { createHash } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";

/**
 * Damages a closed SQLite file as failing storage does: `count` distinct pages after the
 * header page (page 1, which holds the schema) are overwritten with noise. The pages and
 * the noise follow from `seed` alone (SHA-256 of the seed and a counter), so a failing run
 * is reproduced by its seed. Returns the page numbers overwritten (1-based, as SQLite counts).
 */
export function overwritePages(path: string, count: number, seed: number): number[] {
  const fd = openSync(path, "r+");
  try {
    const header = Buffer.alloc(100);
    readSync(fd, header, 0, 100, 0);
    // Bytes 16–17: the page size, big-endian, where 1 stands for 65,536.
    const raw = header.readUInt16BE(16);
    const pageSize = raw === 1 ? 65_536 : raw;
    const pages = Math.floor(fstatSync(fd).size / pageSize);
    if (pages - 1 < count) throw new Error(`${path} has ${pages} pages: too few to overwrite ${count}`);
    const stream = noise(seed);
    const chosen = new Set<number>();
    while (chosen.size < count) chosen.add(2 + (stream(4).readUInt32BE(0) % (pages - 1)));
    for (const page of chosen) writeSync(fd, stream(pageSize), 0, pageSize, (page - 1) * pageSize);
    return [...chosen].sort((a, b) => a - b);
  } finally {
    closeSync(fd);
  }
}

/** A reproducible byte stream for `seed`: each call returns the next `n` bytes. */
function noise(seed: number): (n: number) => Buffer {
  let counter = 0;
  return (n) => {
    const parts: Buffer[] = [];
    for (let got = 0; got < n; got += 32)
      parts.push(createHash("sha256").update(`${seed}:${counter++}`).digest());
    return Buffer.concat(parts).subarray(0, n);
  };
}
