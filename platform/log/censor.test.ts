import { describe, expect, it } from "vitest";
import { CENSORED, censor, censorTree } from "./censor.js";

describe("censorTree", () => {
  it("builds one level per dotted part, a `*` for any field", () => {
    expect(censorTree(["token", "*.totp.secret"])).toEqual({ token: true, "*": { totp: { secret: true } } });
  });

  it("gives a field named beside a `*` the wildcard's subtree too, and keeps a field censored whole", () => {
    const tree = censorTree(["*.token", "reader.id", "*.text", "reader.text.x", "password", "*.password.x"]);
    expect(tree).toEqual({
      "*": { token: true, text: true, password: { x: true } },
      reader: { id: true, token: true, text: true, password: { x: true } },
      password: true,
    });
  });

  it("adds nothing under a field already censored whole, wherever its longer path comes", () => {
    expect(censorTree(["password", "password.x", "token.a", "token"])).toEqual({
      password: true,
      token: true,
    });
  });

  it("refuses an empty part", () => {
    expect(() => censorTree(["a..b"])).toThrow(/empty field/);
  });
});

describe("censor", () => {
  const tree = censorTree(["token", "*.token", "*.totp.secret"]);

  it("passes a line with nothing to censor on as it is, without a copy", () => {
    const fields = { seq: 1, reader: { id: "in" }, list: [{ id: 2 }] };
    expect(censor(fields, tree)).toBe(fields);
    expect(censor("text", tree)).toBe("text");
    expect(censor(null, tree)).toBeNull();
  });

  it("copies only the objects on the way to a censored field, and never changes the original", () => {
    const other = { id: "kept" };
    const fields = { token: "t", other, person: { totp: { secret: "s", digits: 8 } } };
    const out = censor(fields, tree) as typeof fields;
    expect(out).toEqual({
      token: CENSORED,
      other: { id: "kept" },
      person: { totp: { secret: CENSORED, digits: 8 } },
    });
    expect(out.other).toBe(other);
    expect(fields).toEqual({
      token: "t",
      other: { id: "kept" },
      person: { totp: { secret: "s", digits: 8 } },
    });
  });

  it("looks through arrays: the tree applies to each item", () => {
    expect(censor({ scans: [{ token: "a" }, { id: 1 }], nested: [[{ token: "b" }]] }, tree)).toEqual({
      scans: [{ token: CENSORED }, { id: 1 }],
      nested: [[{ token: CENSORED }]],
    });
  });

  it("leaves an undefined field undefined, and finds nothing under a field named like an Object member", () => {
    expect(censor({ token: undefined }, tree)).toEqual({ token: undefined });
    const odd = JSON.parse('{"constructor": {"name": "x"}, "__proto__": {"token": "t"}}');
    expect(JSON.stringify(censor(odd, tree))).toBe(
      '{"constructor":{"name":"x"},"__proto__":{"token":"[redacted]"}}',
    );
  });
});
