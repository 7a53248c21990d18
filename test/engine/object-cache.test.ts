import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ObjectCache, objectCacheBytesFromEnv, ObjectCacheSettingsError } from "../../src/engine/object-cache";
import { FsObjectStore } from "../../src/store/fs";
import { S3ObjectStore } from "../../src/store/s3";
import type { ObjectStore } from "../../src/store/types";
import { makeS3Client, services } from "../support/services";

const { s3 } = services();
const client = makeS3Client();
afterAll(() => client.destroy());

/** The S3 store with a count of its GETs and HEADs per key. */
function countingStore(prefix: string): { store: ObjectStore; gets: Map<string, number>; heads: () => number } {
  const inner = new S3ObjectStore({ client, bucket: s3.bucket, prefix });
  const gets = new Map<string, number>();
  let heads = 0;
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop === "getStream") return (key: string) => (gets.set(key, (gets.get(key) ?? 0) + 1), target.getStream(key));
      if (prop === "head") return (key: string) => (heads++, target.head(key));
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store, gets, heads: () => heads };
}

describe(`ObjectCache [s3 ${s3.endpoint} bucket ${s3.bucket}]`, () => {
  it("downloads an object once, serves it again after a HEAD, downloads again when the object changed, and evicts the least recently used", async () => {
    const { store, gets, heads } = countingStore(`object-cache-${Date.now().toString(36)}`);
    await store.put("a", "A".repeat(1000));
    await store.put("b", "B".repeat(1000));
    const root = mkdtempSync(join(tmpdir(), "tidemark-cache-"));
    const work = mkdtempSync(join(tmpdir(), "tidemark-work-"));
    const cache = new ObjectCache(store, root, 1500);
    let n = 0;
    const local = (key: string) => cache.local(key, join(work, `f${++n}`));

    expect(readFileSync(await local("a"), "utf8")).toBe("A".repeat(1000));
    expect(readFileSync(await local("a"), "utf8")).toBe("A".repeat(1000));
    expect(gets.get("a")).toBe(1);
    expect(heads()).toBe(2);

    await store.put("a", "C".repeat(1000), { kind: "overwrite" });
    expect(readFileSync(await local("a"), "utf8")).toBe("C".repeat(1000));
    expect(gets.get("a")).toBe(2);

    expect(readFileSync(await local("b"), "utf8")).toBe("B".repeat(1000));
    expect(readdirSync(join(root, "objects")).filter((f) => f.endsWith(".bin"))).toHaveLength(1);
    const evictedA = join(work, `f${n - 1}`);
    expect(readFileSync(evictedA, "utf8")).toBe("C".repeat(1000));
    await local("a");
    expect(gets.get("a")).toBe(3);
  });

  it("reads a file store's objects in place, and downloads every time when turned off", async () => {
    const fsRoot = mkdtempSync(join(tmpdir(), "tidemark-store-"));
    const fsStore = new FsObjectStore(fsRoot);
    await fsStore.put("k/x", "x");
    expect(await new ObjectCache(fsStore, mkdtempSync(join(tmpdir(), "c-")), 100).local("k/x", "/nonexistent")).toBe(join(fsRoot, "k", "x"));
    const { store, gets } = countingStore(`object-cache-off-${Date.now().toString(36)}`);
    await store.put("a", "A");
    const off = new ObjectCache(store, mkdtempSync(join(tmpdir(), "c-")), 0);
    const work = mkdtempSync(join(tmpdir(), "w-"));
    await off.local("a", join(work, "1"));
    await off.local("a", join(work, "2"));
    expect(gets.get("a")).toBe(2);
  });

  it("reads TIDEMARK_ENGINE_CACHE, refusing a malformed size with what to set", () => {
    expect(objectCacheBytesFromEnv({})).toBe(2 * 1024 ** 3);
    expect(objectCacheBytesFromEnv({ TIDEMARK_ENGINE_CACHE: "512MiB" })).toBe(512 * 1024 ** 2);
    expect(objectCacheBytesFromEnv({ TIDEMARK_ENGINE_CACHE: "0" })).toBe(0);
    expect(() => objectCacheBytesFromEnv({ TIDEMARK_ENGINE_CACHE: "lots" })).toThrow(ObjectCacheSettingsError);
    expect(() => objectCacheBytesFromEnv({ TIDEMARK_ENGINE_CACHE: "lots" })).toThrow('TIDEMARK_ENGINE_CACHE="lots" is not a size; set it like "2GiB", or "0" to turn the cache off.');
  });
});
