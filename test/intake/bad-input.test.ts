import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FsObjectStore } from "../../src/store/fs";
import { TOKENS, click, gzip, listing, ndjson, ndjsonHeaders, startBed, tempDir, type IntakeBed } from "./bed";

const MAX_BODY = 64 * 1024;
const MAX_RECORD = 2048;

let bed: IntakeBed;
let cleanup: () => void;
beforeAll(async () => {
  const t = tempDir("bad");
  cleanup = t.cleanup;
  bed = await startBed(new FsObjectStore(t.dir), { maxBodyBytes: MAX_BODY, maxRecordBytes: MAX_RECORD, groupDelayMs: 1 });
  const seed = await bed.post("/v1/datasets/clicks/records", ndjson([click("seed")]), ndjsonHeaders(TOKENS.clicks));
  expect(seed.status).toBe(202);
});
afterAll(async () => {
  await bed?.close();
  cleanup?.();
});

const ok = (extra: Record<string, unknown> = {}) => ({ ...click("x"), ...extra });
const H = (token = TOKENS.all, extra: Record<string, string> = {}) => ndjsonHeaders(token, extra);

interface Case {
  what: string;
  path?: string;
  body: string | Buffer;
  headers: Record<string, string>;
  status: number;
  message: RegExp;
  details?: Record<string, unknown>;
}

const cases: Case[] = [
  { what: "a malformed NDJSON line", body: `${JSON.stringify(ok())}\n{"id": "y",\n`, headers: H(), status: 400, message: /^Record 1 \(line 2\): the row is not valid JSON/, details: { index: 1, field: null } },
  { what: "a malformed line after a line of carriage returns (a blank line)", body: `${JSON.stringify(ok())}\n\r\r\n{"id": "y",\n`, headers: H(), status: 400, message: /^Record 1 \(line 3\): the row is not valid JSON/, details: { index: 1, field: null } },
  { what: "a body whose only record is malformed JSON", body: `\r{"id": "y",\r\n`, headers: H(), status: 400, message: /^Record 0 \(line 1\): the row is not valid JSON/, details: { index: 0, field: null } },
  { what: "a wrong type", body: ndjson([ok(), ok({ id: "y", n: "twelve" })]), headers: H(), status: 400, message: /^Record 1 \(line 2\): field "n" is "twelve", which is not/, details: { index: 1, field: "n" } },
  { what: "a missing key in one record", body: ndjson([ok(), { at: "2026-01-01T00:00:00Z", n: 1, price: "1", ok: true, note: "" }]), headers: H(), status: 400, message: /^Record 1 \(line 2\): field "id" is empty, which is not allowed in a key column/, details: { index: 1, field: "id" } },
  { what: "a null key", body: ndjson([ok({ id: null })]), headers: H(), status: 400, message: /^Record 0 \(line 1\): field "id" is empty, which is not allowed in a key column/, details: { index: 0, field: "id" } },
  { what: "a key missing from every record", body: ndjson([{ at: "2026-01-01T00:00:00Z", n: 1, price: "1", ok: true, note: "" }]), headers: H(), status: 400, message: /^Record 0: field "id" is missing from every record/, details: { index: 0, field: "id" } },
  { what: "a bad timestamp in a JSON array", body: JSON.stringify([ok(), ok(), ok({ at: "yesterday" })]), headers: H(TOKENS.all, { "content-type": "application/json" }), status: 400, message: /^Record 2: field "at" is "yesterday", which is not a timestamp/, details: { index: 2, field: "at" } },
  { what: "a partition timestamp after year 9999 (UTC)", body: ndjson([ok(), ok({ id: "y", at: "9999-12-31T23:30:00-01:00" })]), headers: H(), status: 400, message: /^Record 1 \(line 2\): field "at" is "9999-12-31T23:30:00-01:00", which is a timestamp whose UTC date is outside the partition years 1000–9999/, details: { index: 1, field: "at" } },
  { what: "a bad bool", body: ndjson([ok({ ok: "maybe" })]), headers: H(), status: 400, message: /^Record 0 \(line 1\): field "ok" is "maybe", which is not/, details: { index: 0, field: "ok" } },
  { what: "a record that is not an object", body: JSON.stringify([ok(), 42]), headers: H(TOKENS.all, { "content-type": "application/json" }), status: 400, message: /^Record 1: the row is a number, not a JSON object/, details: { index: 1 } },
  { what: "a JSON object instead of an array", body: JSON.stringify(ok()), headers: H(TOKENS.all, { "content-type": "application/json" }), status: 400, message: /^The body is not a JSON array; send a JSON array of record objects, or NDJSON/ },
  { what: "a truncated JSON array", body: `[${JSON.stringify(ok())},{"id":`, headers: H(TOKENS.all, { "content-type": "application/json" }), status: 400, message: /^The body is not valid JSON \(the JSON document ends before the records array is closed/ },
  { what: "a line that is not UTF-8", body: Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]), headers: H(), status: 400, message: /^The body is not valid NDJSON \(line 1: the line is not valid UTF-8\); send one JSON object per line, UTF-8 encoded\.$/ },
  { what: "a JSON array record that is not UTF-8", body: Buffer.concat([Buffer.from(`[${JSON.stringify(ok())},{"id":"`), Buffer.from([0xff, 0xfe]), Buffer.from('"}]')]), headers: H(TOKENS.all, { "content-type": "application/json" }), status: 400, message: /^The body is not valid JSON \(record 1 is not valid UTF-8\); send a JSON array of record objects, UTF-8 encoded\.$/ },
  { what: "an oversized record", body: ndjson([ok(), ok({ note: "z".repeat(MAX_RECORD + 10) })]), headers: H(), status: 413, message: /^Record 1 \(line 2\) is \d+ bytes, over the 2048-byte record limit/, details: { index: 1 } },
  { what: "an oversized body", body: ndjson(Array.from({ length: 800 }, (_, i) => ok({ id: `big${i}` }))), headers: H(), status: 413, message: /^The body is larger than 65536 bytes/ },
  { what: "a gzip body that inflates past the limit", body: gzip(ndjson(Array.from({ length: 800 }, (_, i) => ok({ id: `big${i}` })))), headers: H(TOKENS.all, { "content-encoding": "gzip" }), status: 413, message: /^The body is larger than 65536 bytes once decompressed/ },
  { what: "bad gzip", body: Buffer.from("certainly not gzip"), headers: H(TOKENS.all, { "content-encoding": "gzip" }), status: 400, message: /^The body is not valid gzip/ },
  { what: "an unsupported content encoding", body: ndjson([ok()]), headers: H(TOKENS.all, { "content-encoding": "br" }), status: 415, message: /^Content-Encoding "br" is not supported/ },
  { what: "a wrong content type", body: "id,at\nx,2026-01-01\n", headers: H(TOKENS.all, { "content-type": "text/csv" }), status: 415, message: /^The content type is not supported; send application\/x-ndjson or application\/json\.$/ },
  { what: "an empty body", body: "", headers: H(), status: 400, message: /^The body is empty/ },
  { what: "an empty JSON array", body: "[]", headers: H(TOKENS.all, { "content-type": "application/json" }), status: 400, message: /^The body holds no records/ },
  { what: "an unknown dataset", path: "/v1/datasets/nosuch/records", body: ndjson([ok()]), headers: H(), status: 404, message: /^Dataset "nosuch" is not defined on this server/ },
  { what: "a ../ dataset id", path: "/v1/datasets/..%2F..%2Fetc/records", body: ndjson([ok()]), headers: H(), status: 400, message: /^Dataset id "\.\.\/\.\.\/etc" is invalid/ },
  { what: "a non-push dataset", path: "/v1/datasets/filed/records", body: ndjson([ok()]), headers: H(), status: 404, message: /^Dataset "filed" is not a push dataset; only datasets with source: \{ push: \{\} \} take records\.$/ },
  { what: "a missing token", body: ndjson([ok()]), headers: { "content-type": "application/x-ndjson" }, status: 401, message: /^The request has no token/ },
  { what: "a wrong token", body: ndjson([ok()]), headers: H("tok-nobody-0001"), status: 401, message: /^The token is not valid/ },
  { what: "a malformed Authorization header", body: ndjson([ok()]), headers: H(TOKENS.all, { authorization: `Basic ${TOKENS.all}` }), status: 401, message: /^The token is not valid/ },
  { what: "a foreign token", body: ndjson([ok()]), headers: H(TOKENS.other), status: 403, message: /^This token may not push to dataset "clicks"/ },
  { what: "a foreign token on an unknown dataset (its existence is not revealed)", path: "/v1/datasets/nosuch/records", body: ndjson([ok()]), headers: H(TOKENS.other), status: 403, message: /^This token may not push to dataset "nosuch"/ },
  { what: "a payments-only token", body: ndjson([ok()]), headers: H(TOKENS.pay), status: 403, message: /^This token may not push to dataset "clicks"/ },
];

describe("push intake refuses bad input with its status, one sentence, and writes nothing", () => {
  it.each(cases.map((c) => [c.what, c] as const))("%s", async (_what, c) => {
    const before = await listing(bed.store);
    const res = await bed.post(c.path ?? "/v1/datasets/clicks/records", c.body, c.headers);
    expect(res.status, JSON.stringify(res.body)).toBe(c.status);
    const error = res.body.error as string;
    expect(error).toMatch(c.message);
    expect(error).toMatch(/\.$/);
    expect(error).not.toContain("\n");
    if (c.details) expect(res.body).toMatchObject(c.details);
    for (const t of Object.values(TOKENS)) expect(JSON.stringify(res.body)).not.toContain(t);
    expect(await listing(bed.store)).toEqual(before);
  });

  it("still accepts good records after all of them (the seed and this one are the only fragments)", async () => {
    const res = await bed.post("/v1/datasets/clicks/records", ndjson([ok({ id: "after" })]), H());
    expect(res.status).toBe(202);
    expect((await listing(bed.store, "datasets/clicks/inbox/")).length).toBe(2);
  });
});
