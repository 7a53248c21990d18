import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlreadyExistsError, ConflictingObjectError, InvalidKeyError, NotFoundError, PreconditionFailedError } from "../../src/errors";
import { compareKeys } from "../../src/store/keys";
import type { ObjectStore } from "../../src/store/types";
import { writeOnce } from "../../src/store/write-once";
import { casIncrement, collect, deleteAll, mapLimit, pseudoRandomChunks, runPrefix, sampleRss } from "./conformance-helpers";

/** Extras a backend may provide to the suite. */
export interface ConformanceOptions {
  /** Number of backend requests/syscalls issued so far, to prove invalid keys fail before any I/O. */
  ioCount?: () => number;
}

const MB = 1024 * 1024;
const text = (body: Uint8Array) => Buffer.from(body).toString("utf8");
const sortedBytewise = (keys: string[]) => [...keys].sort(compareKeys);

/**
 * Defines the ObjectStore conformance suite. `name` identifies the backend in the suite
 * title (e.g. "s3 http://127.0.0.1:9000 bucket tidemark-test"); every test writes under its
 * own run-unique prefix.
 */
export function describeStoreConformance(name: string, makeStore: () => ObjectStore | Promise<ObjectStore>, options: ConformanceOptions = {}): void {
  describe(`ObjectStore conformance [${name}]`, () => {
    let store: ObjectStore;
    const run = runPrefix();
    const p = (test: string) => `${run}/${test}`;

    beforeAll(async () => {
      store = await makeStore();
      console.log(`ObjectStore conformance running against ${name} (${store.url}), keys under ${run}/`);
    });
    afterAll(async () => {
      if (store) await deleteAll(store, `${run}/`);
    });

    it("round-trips string, binary and empty objects with matching metadata", async () => {
      const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
      const cases: [string, Uint8Array | string, Buffer][] = [
        [`${p("rt")}/string.txt`, "héllo wörld\n", Buffer.from("héllo wörld\n")],
        [`${p("rt")}/binary.bin`, binary, Buffer.from(binary)],
        [`${p("rt")}/empty`, "", Buffer.alloc(0)],
      ];
      for (const [key, body, expected] of cases) {
        const put = await store.put(key, body);
        expect(put.size).toBe(expected.length);
        const got = await store.get(key);
        expect(Buffer.from(got.body).equals(expected)).toBe(true);
        expect(got).toMatchObject({ key, size: expected.length, etag: put.etag });
        expect(got.etag).not.toMatch(/"/);
        const head = await store.head(key);
        expect(head).toMatchObject({ key, size: expected.length, etag: put.etag });
        expect(Math.abs(head.lastModified.getTime() - Date.now())).toBeLessThan(10 * 60_000);
        const streamed = await store.getStream(key);
        expect(Buffer.concat(await streamed.stream.toArray()).equals(expected)).toBe(true);
      }
    });

    it("reports a missing key as NotFoundError", async () => {
      const key = `${p("missing")}/nothing-here`;
      await expect(store.get(key)).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.head(key)).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.getStream(key)).rejects.toBeInstanceOf(NotFoundError);
    });

    it("changes the etag on overwrite", async () => {
      const key = `${p("overwrite")}/obj`;
      const first = await store.put(key, "one");
      const second = await store.put(key, "two", { kind: "overwrite" });
      expect(second.etag).not.toBe(first.etag);
      expect(await store.head(key)).toMatchObject({ etag: second.etag, size: 3 });
      expect(text((await store.get(key)).body)).toBe("two");
    });

    it("refuses create on an existing key and keeps the content", async () => {
      const key = `${p("create")}/obj`;
      const created = await store.put(key, "original", { kind: "create" });
      await expect(store.put(key, "intruder", { kind: "create" })).rejects.toBeInstanceOf(AlreadyExistsError);
      const got = await store.get(key);
      expect(text(got.body)).toBe("original");
      expect(got.etag).toBe(created.etag);
    });

    it("updates only with the current etag", async () => {
      const key = `${p("update")}/obj`;
      const v1 = await store.put(key, "v1", { kind: "create" });
      const v2 = await store.put(key, "v2", { kind: "update", etag: v1.etag });
      expect(v2.etag).not.toBe(v1.etag);
      await expect(store.put(key, "v3", { kind: "update", etag: v1.etag })).rejects.toBeInstanceOf(PreconditionFailedError);
      expect(text((await store.get(key)).body)).toBe("v2");
      await expect(store.put(`${p("update")}/absent`, "x", { kind: "update", etag: v2.etag })).rejects.toBeInstanceOf(PreconditionFailedError);
      await expect(store.head(`${p("update")}/absent`)).rejects.toBeInstanceOf(NotFoundError);
    });

    it("deletes idempotently", async () => {
      const key = `${p("delete")}/obj`;
      await store.put(key, "bye");
      await store.delete(key);
      await expect(store.get(key)).rejects.toBeInstanceOf(NotFoundError);
      await store.delete(key);
      await store.delete(`${p("delete")}/never-existed/deeper`);
    });

    it("deletes a create-only key with createOnly idempotently, and the key can be created again", async () => {
      const key = `${p("delete-create-only")}/obj`;
      await store.put(key, "first", { kind: "create" });
      await store.delete(key, { createOnly: true });
      await expect(store.get(key)).rejects.toBeInstanceOf(NotFoundError);
      await store.delete(key, { createOnly: true });
      await store.put(key, "second", { kind: "create" });
      expect(text((await store.get(key)).body)).toBe("second");
    });

    it("lists 2,500 keys completely, in byte order, paginated and isolated by prefix", { timeout: 300_000 }, async () => {
      const base = p("list");
      const keys = Array.from({ length: 2500 }, (_, i) => (i % 5 === 0 ? `${base}/k${i}` : `${base}/d${i % 7}/k-${String(i).padStart(5, "0")}`));
      const tricky = [`${base}/a-c`, `${base}/a/b`, `${base}/a0`, `${base}/Z`, `${base}/é`];
      const outside = [`${base}-sibling/k`, `${base}x`, `${p("lis")}t0`];
      await mapLimit([...keys, ...tricky, ...outside], 32, (k) => store.put(k, k, { kind: "create" }));
      const listed = await collect(store.list(`${base}/`, { pageSize: 100 }));
      expect(listed.map((o) => o.key)).toEqual(sortedBytewise([...keys, ...tricky]));
      const one = listed.find((o) => o.key === tricky[0]);
      expect(one).toMatchObject({ size: Buffer.byteLength(tricky[0]), etag: (await store.head(tricky[0])).etag });
      const partial = await collect(store.list(`${base}/d3`, { pageSize: 100 }));
      expect(partial.map((o) => o.key)).toEqual(sortedBytewise(keys.filter((k) => k.startsWith(`${base}/d3`))));
      expect((await collect(store.list(`${base}/nope/`))).length).toBe(0);
      const after = sortedBytewise([...keys, ...tricky]);
      const later = await collect(store.list(`${base}/`, { pageSize: 100, startAfter: after[2400] }));
      expect(later.map((o) => o.key)).toEqual(after.slice(2401));
      expect((await collect(store.list(`${base}/`, { startAfter: after[after.length - 1] }))).length).toBe(0);
    });

    it("lets exactly one of 8 concurrent creators win", async () => {
      const key = `${p("create-race")}/obj`;
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.put(key, `writer-${i}`, { kind: "create" })));
      const winners = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
      expect(winners).toHaveLength(1);
      for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(AlreadyExistsError);
      expect(text((await store.get(key)).body)).toBe(`writer-${winners[0]}`);
    });

    it("counts to exactly 100 with 5 compare-and-swap writers x 20 increments", { timeout: 120_000 }, async () => {
      const key = `${p("cas-race")}/counter`;
      await store.put(key, "0", { kind: "create" });
      const lost = (e: unknown) => e instanceof PreconditionFailedError;
      const attempts = await Promise.all(
        Array.from({ length: 5 }, async () => {
          let n = 0;
          for (let i = 0; i < 20; i++) n += await casIncrement(store, key, lost);
          return n;
        }),
      );
      expect(text((await store.get(key)).body)).toBe("100");
      console.log(`[${name}] CAS race: 100 increments took ${attempts.reduce((a, b) => a + b, 0)} attempts`);
    });

    it("round-trips and lists keys with unicode and spaces exactly", async () => {
      const base = p("unicode");
      const names = ["dir with space/ñandú ü 数据.txt", "plus+and&eq=q?.txt", "pct%20literal", "emoji 🦆/x", "NFD-cafe\u0301"];
      for (const n of names) await store.put(`${base}/${n}`, n);
      for (const n of names) expect(text((await store.get(`${base}/${n}`)).body)).toBe(n);
      const listed = await collect(store.list(`${base}/`));
      expect(listed.map((o) => o.key)).toEqual(sortedBytewise(names.map((n) => `${base}/${n}`)));
    });

    it("writeOnce treats an identical retry as done and a different body as a conflict", async () => {
      const key = `${p("write-once")}/obj`;
      expect(await writeOnce(store, key, "payload")).toBe("created");
      expect(await writeOnce(store, key, Buffer.from("payload"))).toBe("existed");
      await expect(writeOnce(store, key, "PAYLOAD")).rejects.toBeInstanceOf(ConflictingObjectError);
      await expect(writeOnce(store, key, "payload, longer")).rejects.toBeInstanceOf(ConflictingObjectError);
      expect(text((await store.get(key)).body)).toBe("payload");
    });

    it("rejects invalid keys with InvalidKeyError before any I/O", async () => {
      const before = options.ioCount?.();
      const bad = ["../x", "/abs", "a//b", `${p("invalid")}/../x`, "a/./b", "", "trailing/", "nul\0byte"];
      for (const key of bad) {
        await expect(store.get(key)).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(store.head(key)).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(store.getStream(key)).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(store.put(key, "x")).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(store.putStream(key, pseudoRandomChunks(10))).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidKeyError);
      }
      await expect(collect(store.list("../"))).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(collect(store.list("/abs"))).rejects.toBeInstanceOf(InvalidKeyError);
      if (before !== undefined) expect(options.ioCount?.()).toBe(before);
    });

    it("streams 200 MB in and out with bounded memory", { timeout: 600_000 }, async () => {
      const key = `${p("big")}/blob.bin`;
      const size = 200 * MB;
      const expected = createHash("sha256");
      const hashed = async function* () {
        for await (const chunk of pseudoRandomChunks(size)) {
          expected.update(chunk);
          yield chunk;
        }
      };
      const writing = sampleRss();
      const put = await store.putStream(key, hashed(), { kind: "create" });
      const writeGrowth = writing.stop();
      const expectedHash = expected.digest("hex");
      expect(put.size).toBe(size);
      expect(await store.head(key)).toMatchObject({ size, etag: put.etag });

      const reading = sampleRss();
      const { stream, size: readSize } = await store.getStream(key);
      const actual = createHash("sha256");
      for await (const chunk of stream) actual.update(chunk as Buffer);
      const readGrowth = reading.stop();
      expect(readSize).toBe(size);
      expect(actual.digest("hex")).toBe(expectedHash);
      await expect(store.putStream(key, pseudoRandomChunks(size), { kind: "create" })).rejects.toBeInstanceOf(AlreadyExistsError);
      console.log(`[${name}] 200 MB stream: RSS growth write ${(writeGrowth / MB).toFixed(1)} MB, read ${(readGrowth / MB).toFixed(1)} MB`);
      expect(writeGrowth).toBeLessThan(150 * MB);
      expect(readGrowth).toBeLessThan(150 * MB);
      await store.delete(key);
    });
  });
}
