import { randomBytes } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { ObjectStore } from "../../src/store/types";

/** A run-unique key namespace so suites and tests never see each other's objects. */
export function runPrefix(): string {
  return `conformance-${new Date().toISOString().replace(/[:.]/g, "")}-${randomBytes(4).toString("hex")}`;
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Collects a listing into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Deletes every object under `prefix` (best-effort cleanup). */
export async function deleteAll(store: ObjectStore, prefix: string): Promise<void> {
  const keys = (await collect(store.list(prefix))).map((o) => o.key);
  await mapLimit(keys, 16, (k) => store.delete(k));
}

/** Deterministic pseudo-random chunks (xorshift32) totalling `totalBytes`. */
export async function* pseudoRandomChunks(totalBytes: number, chunkBytes = 1024 * 1024, seed = 0x9e3779b9): AsyncGenerator<Buffer> {
  let state = seed >>> 0 || 1;
  for (let sent = 0; sent < totalBytes; sent += chunkBytes) {
    const size = Math.min(chunkBytes, totalBytes - sent);
    const words = new Uint32Array(Math.ceil(size / 4));
    for (let i = 0; i < words.length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      words[i] = state >>> 0;
    }
    yield Buffer.from(words.buffer, 0, size);
  }
}

/** Runs a full garbage collection so an RSS baseline does not include earlier tests' garbage. */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

/** Samples RSS every `intervalMs` until stopped; `stop()` returns the peak growth over the baseline, in bytes. */
export function sampleRss(intervalMs = 20): { stop: () => number } {
  collectGarbage();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      return peak - baseline;
    },
  };
}

/** Reads a counter object, increments it with `update(etag)`, and retries on lost races; returns the attempts made. */
export async function casIncrement(store: ObjectStore, key: string, isLostRace: (e: unknown) => boolean): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const current = await store.get(key);
    const value = Number(Buffer.from(current.body).toString("utf8"));
    try {
      await store.put(key, String(value + 1), { kind: "update", etag: current.etag });
      return attempt;
    } catch (e) {
      if (!isLostRace(e)) throw e;
    }
  }
}
