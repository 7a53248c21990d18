import { expect, it } from "vitest";
import { validateRecords } from "../../src/intake/records";
import { definitions } from "./bed";
it("validates and encodes a request of more records than one reader batch (70,000) in order", async () => {
  const def = definitions()[0];
  const body = Array.from({ length: 70000 }, (_, i) => `{"id":"r${i}","at":"2026-01-01T00:00:00Z","n":${i},"price":null,"ok":null,"note":null}`).join("\n");
  const r = await validateRecords(def, Buffer.from(body), "ndjson", { maxBodyBytes: 1e8, maxRecordBytes: 1e5 });
  expect(r.count).toBe(70000);
  const lines = r.ndjson.toString().trim().split("\n");
  expect(JSON.parse(lines[69999])).toEqual({ id: "r69999", at: "2026-01-01T00:00:00.000000Z", n: 69999, price: null, ok: null, note: null });
});
