/**
 * A test-only ObjectStore wrapper that reports every write (put, putStream, delete) to a hook, so a
 * crash test can kill its process in the middle of a writing activity. Plain JavaScript: the crash
 * worker process (test/support/crash-worker.mjs) loads it next to the compiled code in dist/.
 */

/**
 * @typedef {{ seq: number; op: "put" | "putStream" | "delete"; key: string; phase: "started" | "streaming" | "done" }} WriteEvent
 * A write the wrapped store is making: `started` before it reaches the store, `streaming` after the
 * first chunk of a putStream body went to the store (the object is half written), `done` once it succeeded.
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
    get: (key) => store.get(key),
    getStream: (key) => store.getStream(key),
    head: (key) => store.head(key),
    list: (prefix, options) => store.list(prefix, options),
    ...(store.sweepAbandonedWrites ? { sweepAbandonedWrites: (prefix, before, dryRun) => store.sweepAbandonedWrites(prefix, before, dryRun) } : {}),
    async put(key, body, mode) {
      const seq = ++writes;
      hook({ seq, op: "put", key, phase: "started" });
      const result = await store.put(key, body, mode);
      hook({ seq, op: "put", key, phase: "done" });
      return result;
    },
    async putStream(key, body, mode) {
      const seq = ++writes;
      hook({ seq, op: "putStream", key, phase: "started" });
      const result = await store.putStream(key, reportFirstChunk(body, () => hook({ seq, op: "putStream", key, phase: "streaming" })), mode);
      hook({ seq, op: "putStream", key, phase: "done" });
      return result;
    },
    async delete(key) {
      const seq = ++writes;
      hook({ seq, op: "delete", key, phase: "started" });
      await store.delete(key);
      hook({ seq, op: "delete", key, phase: "done" });
    },
  };
}

/**
 * Passes `body` through, calling `onHalfWritten` when the store asks for the chunk after the first
 * (so the first chunk has been handed to the store).
 * @param {AsyncIterable<Uint8Array>} body
 * @param {() => void} onHalfWritten
 * @returns {AsyncIterable<Uint8Array>}
 */
async function* reportFirstChunk(body, onHalfWritten) {
  let sent = 0;
  for await (const chunk of body) {
    if (sent === 1) onHalfWritten();
    yield chunk;
    sent++;
  }
}
