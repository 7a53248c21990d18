/**
 * A test-only ObjectStore wrapper that reports every write (put, putStream, putFile, delete) to a hook, so a
 * crash test can kill its process in the middle of a writing activity. Plain JavaScript: the crash
 * worker process (test/support/crash-worker.mjs) loads it next to the compiled code in dist/.
 */

/**
 * @typedef {{ seq: number; op: "put" | "putStream" | "putFile" | "delete"; key: string; phase: "started" | "streaming" | "done" | "failed"; bytes?: number }} WriteEvent
 * A write the wrapped store is making: `started` before it reaches the store; `streaming` each time
 * the store asks a putStream body for its next chunk after the first (`bytes`: how many bytes it has
 * taken so far; the object is half written); `done` once it succeeded, `failed` once it threw.
 * `seq` numbers the writes of the store from 1, so the phases of one write can be told apart when writes overlap.
 */

/**
 * Wraps `store` so `hook` sees every write at each of its phases. Reads and listings pass through.
 * @param {import("../../src/store/types").ObjectStore} store
 * @param {(event: WriteEvent) => void} hook
 * @returns {import("../../src/store/types").ObjectStore}
 */
export function faultStore(store, hook) {
  let writes = 0;
  return {
    get url() {
      return store.url;
    },
    get multipartThreshold() {
      return store.multipartThreshold;
    },
    get: (key) => store.get(key),
    getStream: (key) => store.getStream(key),
    head: (key) => store.head(key),
    list: (prefix, options) => store.list(prefix, options),
    ...(store.sweepAbandonedWrites ? { sweepAbandonedWrites: (prefix, before, dryRun) => store.sweepAbandonedWrites(prefix, before, dryRun) } : {}),
    async put(key, body, mode) {
      const seq = ++writes;
      hook({ seq, op: "put", key, phase: "started" });
      const result = await settle(store.put(key, body, mode), () => hook({ seq, op: "put", key, phase: "failed" }));
      hook({ seq, op: "put", key, phase: "done" });
      return result;
    },
    async putStream(key, body, mode) {
      const seq = ++writes;
      hook({ seq, op: "putStream", key, phase: "started" });
      const reported = reportChunks(body, (bytes) => hook({ seq, op: "putStream", key, phase: "streaming", bytes }));
      const result = await settle(store.putStream(key, reported, mode), () => hook({ seq, op: "putStream", key, phase: "failed" }));
      hook({ seq, op: "putStream", key, phase: "done" });
      return result;
    },
    ...(store.putFile
      ? {
          async putFile(key, path, mode) {
            const seq = ++writes;
            hook({ seq, op: "putFile", key, phase: "started" });
            const result = await settle(store.putFile(key, path, mode), () => hook({ seq, op: "putFile", key, phase: "failed" }));
            hook({ seq, op: "putFile", key, phase: "done" });
            return result;
          },
        }
      : {}),
    async delete(key, options) {
      const seq = ++writes;
      hook({ seq, op: "delete", key, phase: "started" });
      await settle(store.delete(key, options), () => hook({ seq, op: "delete", key, phase: "failed" }));
      hook({ seq, op: "delete", key, phase: "done" });
    },
  };
}

/**
 * Awaits `promise`, calling `onError` before rethrowing its failure.
 * @template T
 * @param {Promise<T>} promise
 * @param {() => void} onError
 * @returns {Promise<T>}
 */
async function settle(promise, onError) {
  try {
    return await promise;
  } catch (err) {
    onError();
    throw err;
  }
}

/**
 * Passes `body` through, calling `onHalfWritten(bytes)` each time the store asks for a chunk after
 * the first (so at least one chunk, `bytes` in all, has been handed to the store).
 * @param {AsyncIterable<Uint8Array>} body
 * @param {(bytes: number) => void} onHalfWritten
 * @returns {AsyncIterable<Uint8Array>}
 */
async function* reportChunks(body, onHalfWritten) {
  let sent = 0;
  let bytes = 0;
  for await (const chunk of body) {
    if (sent >= 1) onHalfWritten(bytes);
    yield chunk;
    sent++;
    bytes += chunk.byteLength ?? chunk.length;
  }
}
