/**
 * A test-only ObjectStore wrapper that reports every write (put, putStream, putFile, moveFile, delete) to a hook, so a
 * crash test can kill its process in the middle of a writing activity. Plain JavaScript: the crash
 * worker process (test/support/crash-worker.mjs) loads it next to the compiled code in dist/.
 */

/**
 * @typedef {{ seq: number; op: "put" | "putStream" | "putFile" | "moveFile" | "delete"; key: string; phase: "started" | "streaming" | "done" | "failed"; bytes?: number }} WriteEvent
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
  /**
   * Reports one write of `op` to `key` as it starts, ends and fails; `write(seq)` makes it.
   * @template T
   * @param {WriteEvent["op"]} op
   * @param {string} key
   * @param {(seq: number) => Promise<T>} write
   * @returns {Promise<T>}
   */
  const reported = async (op, key, write) => {
    const seq = ++writes;
    hook({ seq, op, key, phase: "started" });
    const result = await settle(write(seq), () => hook({ seq, op, key, phase: "failed" }));
    hook({ seq, op, key, phase: "done" });
    return result;
  };
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
    put: (key, body, mode) => reported("put", key, () => store.put(key, body, mode)),
    putStream: (key, body, mode) =>
      reported("putStream", key, (seq) => store.putStream(key, reportChunks(body, (bytes) => hook({ seq, op: "putStream", key, phase: "streaming", bytes })), mode)),
    ...(store.putFile ? { putFile: (key, path, mode) => reported("putFile", key, () => store.putFile(key, path, mode)) } : {}),
    ...(store.moveFile ? { moveFile: (key, path, mode) => reported("moveFile", key, () => store.moveFile(key, path, mode)) } : {}),
    delete: (key, options) => reported("delete", key, () => store.delete(key, options)),
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
