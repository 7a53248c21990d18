import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { ConditionalWritesIgnoredError, checkConditionalWrites, checkStoreAtStart } from "../../src/store/conditional-probe";
import { FsObjectStore } from "../../src/store/fs";
import { S3ObjectStore } from "../../src/store/s3";
import type { ObjectStore, WriteMode } from "../../src/store/types";
import { makeS3Client, services } from "../support/services";

/** `inner` with every put turned into `overwrite` unless `keep` says the mode is honoured: a store ignoring some conditions. */
function ignoring(inner: ObjectStore, keep: (mode: WriteMode) => boolean, url = "s3://lax-bucket/"): ObjectStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === "url") return url;
      if (prop === "put") return (key: string, body: string, mode: WriteMode = { kind: "overwrite" }) => target.put(key, body, keep(mode) ? mode : { kind: "overwrite" });
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function keys(store: ObjectStore): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list("")) out.push(o.key);
  return out;
}

describe("the start-up check of conditional writes", () => {
  const fsStore = () => new FsObjectStore(mkdtempSync(join(tmpdir(), "tidemark-probe-")));

  it("refuses a store that ignores If-None-Match, naming the header, and leaves nothing behind", async () => {
    const inner = fsStore();
    const err = await checkConditionalWrites(ignoring(inner, (m) => m.kind !== "create")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConditionalWritesIgnoredError);
    expect((err as Error).message).toMatch(/^The store s3:\/\/lax-bucket\/ ignores If-None-Match: a create of an object that exists succeeded/);
    expect(await keys(inner)).toEqual([]);
  });

  it("refuses a store that ignores If-Match", async () => {
    const err = await checkConditionalWrites(ignoring(fsStore(), (m) => m.kind !== "update")).catch((e: unknown) => e);
    expect((err as Error).message).toContain("ignores If-Match: an update against an etag the object does not have succeeded");
  });

  it("at start: throws for an ignored condition, warns and goes on for a store it cannot reach, skips file://", async () => {
    await expect(checkStoreAtStart(ignoring(fsStore(), (m) => m.kind !== "create"), () => {})).rejects.toBeInstanceOf(ConditionalWritesIgnoredError);
    const warnings: string[] = [];
    const down = new Proxy(fsStore(), { get: (t, p) => (p === "url" ? "s3://down/" : p === "put" ? () => Promise.reject(new Error("connect ECONNREFUSED")) : Reflect.get(t, p)) });
    await checkStoreAtStart(down, (w) => warnings.push(w));
    expect(warnings).toEqual(["could not check that s3://down/ honours conditional writes (connect ECONNREFUSED); starting without the check."]);
    const local = fsStore();
    await checkStoreAtStart(ignoring(local, () => false, local.url), () => {});
    expect(await keys(local)).toEqual([]);
  });

  const { s3 } = services();
  const client = makeS3Client();
  afterAll(() => client.destroy());
  it(`passes on MinIO and deletes its scratch object [s3 ${s3.endpoint} bucket ${s3.bucket}]`, async () => {
    const store = new S3ObjectStore({ client, bucket: s3.bucket, prefix: `conditional-probe/${randomBytes(4).toString("hex")}` });
    const modes: string[] = [];
    const counted = new Proxy(store, {
      get: (t, p) => (p === "put" ? (k: string, b: string, m: WriteMode) => (modes.push(m.kind), t.put(k, b, m)) : (Reflect.get(t, p) as unknown)),
    });
    const warnings: string[] = [];
    await checkStoreAtStart(counted, (w) => warnings.push(w));
    expect(warnings).toEqual([]);
    expect(modes).toEqual(["create", "create", "update"]);
    expect(await keys(store)).toEqual([]);
  });
});
