import { describe, expect, it } from "vitest";
import { parseDefinition } from "../../src/definition";
import { CoalescingValidator } from "../../src/intake/coalesce";
import { type ValidatedRecords, validateRecords } from "../../src/intake/records";
import { CLICKS_YAML, click, ndjson } from "./bed";

const def = parseDefinition(CLICKS_YAML, "clicks.yaml");
const limits = { maxBodyBytes: 1 << 20, maxRecordBytes: 4096 };

/** A validator whose single-body checks are counted, with their record counts. */
function counted(): { v: CoalescingValidator; calls: number[] } {
  const calls: number[] = [];
  const check: typeof validateRecords = async (...args) => {
    const r = await validateRecords(...args).catch((err: unknown) => {
      calls.push(-1);
      throw err;
    });
    calls.push(r.count);
    return r;
  };
  return { v: new CoalescingValidator(def, limits, check), calls };
}

type Outcome = { ok: string } | { error: string; details: unknown };
const outcome = (p: Promise<ValidatedRecords>): Promise<Outcome> =>
  p.then(
    (r) => ({ ok: r.ndjson.toString("utf8") }),
    (err: Error & { details?: unknown }) => ({ error: err.message, details: err.details }),
  );
const alone = (body: string) => outcome(validateRecords(def, Buffer.from(body), "ndjson", limits));

describe("coalescing validation of concurrent NDJSON requests", () => {
  it("validates bodies that arrive together in one pass and gives each request exactly its own records", async () => {
    const bodies = [ndjson([click("a", 1), click("b", 2)]), ndjson([click("c", 3)]), ndjson([click("d", 4), click("e", 5), click("f", 6)]).trimEnd()];
    const { v, calls } = counted();
    const got = await Promise.all(bodies.map((b) => outcome(v.validate(Buffer.from(b)))));
    expect(calls).toEqual([6]);
    expect(got).toEqual(await Promise.all(bodies.map(alone)));
  });

  it("a bad record in one request: that request gets the error it gets alone, naming its own record and line; the others are accepted", async () => {
    const bad = ndjson([click("x", 1), { ...click("y", 2), n: "seven" }]);
    const bodies = [ndjson([click("a", 1)]), bad, ndjson([click("c", 3), click("d", 4)])];
    const { v, calls } = counted();
    const got = await Promise.all(bodies.map((b) => outcome(v.validate(Buffer.from(b)))));
    expect(calls).toEqual([-1, 1, -1, 2]);
    expect(got[1]).toMatchObject({ details: { index: 1, field: "n" } });
    expect(got).toEqual(await Promise.all(bodies.map(alone)));
  });

  it("a request that leaves a nullable field out of every record gets the 'missing' answer it gets alone, though another request has the field", async () => {
    const without = ndjson([click("m", 1), click("n", 2)].map(({ note: _note, ...rest }) => rest));
    const bodies = [ndjson([click("a", 1)]), without];
    const { v, calls } = counted();
    const got = await Promise.all(bodies.map((b) => outcome(v.validate(Buffer.from(b)))));
    expect(calls).toEqual([3, -1]);
    expect(got[1]).toMatchObject({ details: { field: "note", reason: "missing" } });
    expect(got).toEqual(await Promise.all(bodies.map(alone)));
  });

  it("validates requests that arrive in different turns of the event loop separately", async () => {
    const { v, calls } = counted();
    const first = await outcome(v.validate(Buffer.from(ndjson([click("a", 1)]))));
    const second = await outcome(v.validate(Buffer.from(ndjson([click("b", 2), click("c", 3)]))));
    expect(calls).toEqual([1, 2]);
    expect([first, second]).toEqual([await alone(ndjson([click("a", 1)])), await alone(ndjson([click("b", 2), click("c", 3)]))]);
  });
});
