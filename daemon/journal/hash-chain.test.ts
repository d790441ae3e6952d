import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  entryHash,
  GENESIS_HASH,
  hashStoredEntry,
  preimage,
  type UnhashedEntry,
} from "./hash-chain.js";
import { JournalDataError } from "./journal-errors.js";

const entry: UnhashedEntry = {
  seq: 1,
  id: "5f0c7e4e-1b7a-4c7e-9a55-0d1c2b3a4f5e",
  kind: "decision",
  at: 1_795_510_801_123,
  gate: "main-1",
  reader: "in",
  direction: "in",
  credential: "1001",
  person: "p-1001",
  step: 59_850_360,
  result: "granted",
  reason: "ok",
  data: { rule: "staff", flags: ["anti_passback_soft"], scheme: "totp" },
};

describe("canonicalJson", () => {
  it("does not depend on the order of keys, at any depth", () => {
    const a = { b: 1, a: { y: [1, { q: true, p: null }], x: "s" } };
    const b = { a: { x: "s", y: [1, { p: null, q: true }] }, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"x":"s","y":[1,{"p":null,"q":true}]},"b":1}');
  });

  it("keeps array order, which is meaningful", () => {
    expect(canonicalJson({ flags: ["a", "b"] })).not.toBe(canonicalJson({ flags: ["b", "a"] }));
  });

  it("drops undefined fields as JSON does", () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });

  it.each([
    ["NaN", { n: Number.NaN }, "data.n"],
    ["Infinity", { n: [Number.POSITIVE_INFINITY] }, "data.n[0]"],
    ["a Date", { when: new Date(0) }, "data.when"],
    ["a Map", { m: new Map() }, "data.m"],
    ["a bigint", { b: 1n }, "data.b"],
    ["undefined in an array", { a: [undefined] }, "data.a[0]"],
    ["a function", { f: () => 1 }, "data.f"],
  ])("refuses %s, naming its path", (_name, data, path) => {
    expect(() => canonicalJson(data)).toThrow(JournalDataError);
    expect(() => canonicalJson(data)).toThrow(path);
  });

  it("refuses a cyclic object instead of overflowing the stack", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(JournalDataError);
  });
});

describe("entryHash", () => {
  it("is a fixed function of the entry: this vector pins the chain format", () => {
    // If this changes, every stored journal stops verifying: bump CHAIN_FORMAT instead.
    expect(preimage(GENESIS_HASH, entry, canonicalJson(entry.data))).toBe(
      `["passgate-journal/1","${GENESIS_HASH}",1,"5f0c7e4e-1b7a-4c7e-9a55-0d1c2b3a4f5e",1795510801123,` +
        `"decision","main-1","in","in","1001","p-1001",59850360,"granted","ok"]\n` +
        `{"flags":["anti_passback_soft"],"rule":"staff","scheme":"totp"}`,
    );
    expect(entryHash(GENESIS_HASH, entry)).toMatch(/^[0-9a-f]{64}$/);
    expect(entryHash(GENESIS_HASH, entry)).toBe(entryHash(GENESIS_HASH, { ...entry }));
  });

  it("does not depend on the order of data keys", () => {
    const reordered = { ...entry, data: { scheme: "totp", flags: ["anti_passback_soft"], rule: "staff" } };
    expect(entryHash(GENESIS_HASH, reordered)).toBe(entryHash(GENESIS_HASH, entry));
  });

  it("equals the hash over the stored data text", () => {
    expect(hashStoredEntry(GENESIS_HASH, entry, canonicalJson(entry.data))).toBe(
      entryHash(GENESIS_HASH, entry),
    );
  });

  it.each<[string, Partial<UnhashedEntry>]>([
    ["seq", { seq: 2 }],
    ["id", { id: "00000000-0000-4000-8000-000000000000" }],
    ["at", { at: entry.at + 1 }],
    ["kind", { kind: "passage" }],
    ["gate", { gate: "main-2" }],
    ["reader", { reader: null }],
    ["direction", { direction: "out" }],
    ["credential", { credential: "1002" }],
    ["person", { person: "p-1002" }],
    ["step", { step: 59_850_361 }],
    ["result", { result: "denied" }],
    ["reason", { reason: "replayed" }],
    ["data", { data: { ...entry.data, rule: "guest" } }],
    // A null and the text "null" must not collide.
    ["null vs 'null'", { reader: "null" }],
  ])("changes when %s changes", (_field, change) => {
    expect(entryHash(GENESIS_HASH, { ...entry, ...change })).not.toBe(entryHash(GENESIS_HASH, entry));
  });

  it("changes with the previous hash", () => {
    expect(entryHash("1".repeat(64), entry)).not.toBe(entryHash(GENESIS_HASH, entry));
  });
});
