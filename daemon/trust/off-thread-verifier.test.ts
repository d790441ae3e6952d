import { generateKeyPairSync, sign } from "node:crypto";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { publicKeyText } from "./key-file.js";
import { OffThreadVerifier } from "./off-thread-verifier.js";

const verifiers: OffThreadVerifier[] = [];
afterEach(async () => {
  for (const v of verifiers.splice(0)) await v.stop();
});

function make(options: ConstructorParameters<typeof OffThreadVerifier>[0] = {}) {
  const verifier = new OffThreadVerifier(options);
  verifiers.push(verifier);
  return verifier;
}

const keyPair = () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateKey, x: publicKeyText(publicKey) };
};
const signer = keyPair();
const other = keyPair();
const signed = Buffer.from("pg-msg/1\npassgate/s/gate-a/shared/replay\n{}", "utf8");
const signature = sign(null, signed, signer.privateKey);

describe("OffThreadVerifier", () => {
  it("says whether an Ed25519 signature holds, on its own thread", async () => {
    const v = make();
    expect(await v.verify(signed, signature, signer.x)).toBe("ok");
    expect(await v.verify(Buffer.from("something else"), signature, signer.x)).toBe("bad");
    expect(await v.verify(signed, signature, other.x)).toBe("bad");
    const flipped = Buffer.from(signature);
    flipped[10] = (flipped[10] ?? 0) ^ 1;
    expect(await v.verify(signed, flipped, signer.x)).toBe("bad");
    // A key that is no point, or no key at all, verifies nothing.
    expect(await v.verify(signed, signature, "not-a-key")).toBe("bad");
    expect(await v.verify(signed, signature.subarray(0, 32), signer.x)).toBe("bad");
    // Many in one turn go over together and each gets its own answer.
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => v.verify(signed, signature, i % 2 === 0 ? signer.x : other.x)),
    );
    expect(answers).toEqual(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? "ok" : "bad")));
    expect(v.inFlight).toBe(0);
  });

  it("answers overloaded beyond its bound, at once, and takes more once answered", async () => {
    const v = make({ maxInFlight: 3 });
    const answers = Array.from({ length: 5 }, () => v.verify(signed, signature, signer.x));
    expect(v.inFlight).toBe(3);
    expect(await Promise.all(answers)).toEqual(["ok", "ok", "ok", "overloaded", "overloaded"]);
    expect(await v.verify(signed, signature, signer.x)).toBe("ok");
  });

  it("answers lost for what a dying thread held, never ok, and starts a new thread", async () => {
    const failures: { error: string | undefined; lost: number }[] = [];
    const v = make({ restartBackoffMs: 0, onFailure: (f) => failures.push(f) });
    v.start();
    const first = v.thread!;
    await once(first, "online");
    const held = [v.verify(signed, signature, signer.x), v.verify(signed, signature, signer.x)];
    void first.terminate();
    expect(await Promise.all(held)).toEqual(["lost", "lost"]);
    expect(failures).toEqual([{ error: undefined, lost: 2 }]);
    expect(v.restarts).toBe(1);
    expect(v.thread).not.toBe(first);
    expect(await v.verify(signed, signature, signer.x)).toBe("ok");
  });

  it("waits out a thread that keeps dying before starting another, and keeps what was asked meanwhile", async () => {
    const v = make({ restartBackoffMs: 200 });
    v.start();
    void v.thread!.terminate();
    // The thread's exit is reported a moment later (longer on a loaded machine).
    const deadline = Date.now() + 2_000;
    while (v.thread !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(v.thread).toBeUndefined();
    const t0 = Date.now();
    expect(await v.verify(signed, signature, signer.x)).toBe("ok");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
  });

  it("answers stopped for what it held when stopped, and for anything asked after", async () => {
    const v = make();
    const held = v.verify(signed, signature, signer.x);
    await v.stop();
    expect(await held).toBe("stopped");
    expect(await v.verify(signed, signature, signer.x)).toBe("stopped");
    expect(v.thread).toBeUndefined();
    await v.settled();
  });
});
