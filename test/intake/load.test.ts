import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { requireLoopback, runLoad } from "../../bench/intake/load";
import { FsObjectStore } from "../../src/store/fs";
import { TOKENS, click, fragments, startBed, tempDir } from "./bed";

const t = tempDir("load");
afterAll(() => t.cleanup());

describe("intake load generator", () => {
  it("logs every acknowledged record id with its fragment, and each is in that fragment exactly once", async () => {
    const store = new FsObjectStore(join(t.dir, "store"));
    const bed = await startBed(store, { groupDelayMs: 2 });
    const logPath = join(t.dir, "acks.ndjson");
    try {
      const result = await runLoad({ url: bed.url, dataset: "clicks", token: TOKENS.clicks, clients: 4, batch: 5, records: 200, seconds: 60, logPath, makeRecord: (id, seq) => click(id, seq) });
      expect(result.unacknowledged).toEqual([]);
      expect(result.acknowledged.size).toBe(200);
      const logged = readFileSync(logPath, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { id: string; fragment: string });
      expect(new Map(logged.map((l) => [l.id, l.fragment]))).toEqual(result.acknowledged);
      const stored = await fragments(store, "clicks");
      const where = new Map<string, string[]>();
      for (const [fragment, records] of stored) for (const r of records) where.set(r.id as string, [...(where.get(r.id as string) ?? []), fragment]);
      for (const [id, fragment] of result.acknowledged) expect(where.get(id)).toEqual([fragment]);
      expect(where.size).toBe(200);
    } finally {
      await bed.close();
    }
  });

  it("refuses a non-loopback address before sending anything", () => {
    expect(() => requireLoopback("http://10.1.2.3:8080")).toThrow(/only talks to loopback addresses; 10\.1\.2\.3 is not one/);
    expect(requireLoopback("http://127.0.0.1:1").hostname).toBe("127.0.0.1");
  });
});
