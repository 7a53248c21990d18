import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { FsObjectStore } from "../../src/store/fs";
import { S3ObjectStore } from "../../src/store/s3";
import type { ObjectStore } from "../../src/store/types";
import { makeS3Client, services } from "../support/services";
import { TOKENS, click, fragments, gzip, metric, ndjson, ndjsonHeaders, normalizedClick, startBed, tempDir, until } from "./bed";

/** A store whose inbox writes wait while the gate is closed; counts the writes that started. */
function gatedStore(inner: ObjectStore): { store: ObjectStore; started: () => number; open(): void; close(): void } {
  let started = 0;
  let release: (() => void) | null = null;
  let gate: Promise<void> | null = null;
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === "put") {
        return async (key: string, ...rest: unknown[]) => {
          if (key.includes("/inbox/")) {
            started++;
            if (gate) await gate;
          }
          return (target.put as (...a: unknown[]) => Promise<unknown>).call(target, key, ...rest);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    store,
    started: () => started,
    close() {
      gate = new Promise<void>((r) => (release = r));
    },
    open() {
      gate = null;
      release?.();
    },
  };
}

const dirs: Array<() => void> = [];
afterAll(() => dirs.forEach((c) => c()));

const backends: Array<[string, () => ObjectStore]> = [
  ["file://", () => {
    const t = tempDir("happy");
    dirs.push(t.cleanup);
    return new FsObjectStore(t.dir);
  }],
  ["MinIO", () => new S3ObjectStore({ client: makeS3Client(), bucket: services().s3.bucket, prefix: `intake-happy-${randomBytes(4).toString("hex")}` })],
];

describe.each(backends)("push intake on %s", (_name, makeStore) => {
  it("acknowledges each request with the fragment that holds exactly its normalized records (NDJSON, JSON array, gzip)", async () => {
    const store = makeStore();
    const bed = await startBed(store, { groupDelayMs: 1, maxWrites: 1 });
    try {
      const batches = [[click("a", 1), click("b", 2)], [click("c", 3)], [click("d", 4), click("e", 5), click("f", 6)]];
      const sent = [
        { body: ndjson(batches[0]), headers: ndjsonHeaders(TOKENS.clicks) },
        { body: JSON.stringify(batches[1]), headers: ndjsonHeaders(TOKENS.all, { "content-type": "application/json" }) },
        { body: gzip(ndjson(batches[2])), headers: ndjsonHeaders(TOKENS.clicks, { "content-encoding": "gzip" }) },
      ];
      const acks: string[] = [];
      for (const [i, s] of sent.entries()) {
        const res = await bed.post("/v1/datasets/clicks/records", s.body, s.headers);
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        expect(res.body.accepted).toBe(batches[i].length);
        acks.push(res.body.fragment as string);
      }
      expect(new Set(acks).size).toBe(3);
      expect([...acks].sort()).toEqual(acks);
      const stored = await fragments(store, "clicks");
      expect([...stored.keys()]).toEqual(acks);
      batches.forEach((records, i) => {
        expect(stored.get(acks[i])).toEqual(records.map((r) => normalizedClick(r.id as string, r.n as number)));
      });
    } finally {
      await bed.close();
    }
  });

  it("takes a body that starts with a UTF-8 byte order mark, as the file readers do (NDJSON, JSON array, gzip)", async () => {
    const store = makeStore();
    const bed = await startBed(store, { groupDelayMs: 1, maxWrites: 1 });
    try {
      const bom = (text: string) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
      const sent = [
        { body: bom(ndjson([click("g", 7)])), headers: ndjsonHeaders(TOKENS.clicks), id: "g" },
        { body: bom(JSON.stringify([click("h", 8)])), headers: ndjsonHeaders(TOKENS.clicks, { "content-type": "application/json" }), id: "h" },
        { body: gzipSync(bom(ndjson([click("i", 9)]))), headers: ndjsonHeaders(TOKENS.clicks, { "content-encoding": "gzip" }), id: "i" },
      ];
      for (const s of sent) {
        const res = await bed.post("/v1/datasets/clicks/records", s.body, s.headers);
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        const stored = await fragments(store, "clicks");
        expect(stored.get(res.body.fragment as string)).toEqual([normalizedClick(s.id, s.id.charCodeAt(0) - 96)]);
      }
    } finally {
      await bed.close();
    }
  });

  it("group-commits concurrent requests into one fragment and acknowledges them only once it is written", async () => {
    const gated = gatedStore(makeStore());
    const bed = await startBed(gated.store, { groupDelayMs: 1, maxWrites: 1 });
    try {
      gated.close();
      const first = bed.post("/v1/datasets/clicks/records", ndjson([click("g0")]), ndjsonHeaders(TOKENS.clicks));
      await until("the first fragment write to start", async () => gated.started() === 1);
      let answered = 0;
      const rest = Array.from({ length: 5 }, (_, i) =>
        bed.post("/v1/datasets/clicks/records", ndjson([click(`g${i + 1}-x`), click(`g${i + 1}-y`)]), ndjsonHeaders(TOKENS.clicks)).then((r) => {
          answered++;
          return r;
        }),
      );
      await until("five requests waiting for their group", async () => (await metric(bed.url, "tidemark_intake_pending_records", 'dataset="clicks"')) === 10);
      expect(answered).toBe(0);
      expect(await fragments(gated.store, "clicks")).toEqual(new Map());
      gated.open();
      const a = await first;
      const b = await Promise.all(rest);
      expect(a.status).toBe(202);
      for (const r of b) expect(r.status).toBe(202);
      const groupFragment = b[0].body.fragment as string;
      expect(b.map((r) => r.body.fragment)).toEqual(Array(5).fill(groupFragment));
      expect(groupFragment > (a.body.fragment as string)).toBe(true);
      const stored = await fragments(gated.store, "clicks");
      expect([...stored.keys()]).toEqual([a.body.fragment, groupFragment]);
      expect(stored.get(a.body.fragment as string)).toEqual([normalizedClick("g0")]);
      const ids = stored.get(groupFragment)!.map((r) => r.id).sort();
      expect(ids).toEqual(Array.from({ length: 5 }, (_, i) => [`g${i + 1}-x`, `g${i + 1}-y`]).flat().sort());
      expect(gated.started()).toBe(2);
    } finally {
      gated.open();
      await bed.close();
    }
  });
});
