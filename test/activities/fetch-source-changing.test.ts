import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { fetchSourceActivities } from "../../activities/steps";
import { SourceChangedError } from "../../src/sources/errors";
import { FsObjectStore } from "../../src/store/fs";
import type { ObjectStore } from "../../src/store/types";
import { testSourcePolicy } from "../support/source-allow";

/** A store that runs `during` once, after the first chunk of a streamed put has arrived. */
function storeCalling(store: FsObjectStore, during: () => Promise<void>): ObjectStore {
  let done = false;
  async function* tap(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    for await (const chunk of body) {
      yield chunk;
      if (!done) {
        done = true;
        await during();
      }
    }
  }
  return Object.assign(Object.create(store) as FsObjectStore, { putStream: (key: string, body: Readable, mode?: Parameters<ObjectStore["putStream"]>[2]) => store.putStream(key, tap(body), mode) });
}

describe("fetchSource of a local file rewritten while it is read", () => {
  const dir = mkdtempSync(join(tmpdir(), "tm-fetch-changing-"));
  const file = join(dir, "series.csv");
  const rows = (value: number) => Array.from({ length: 120_000 }, (_, i) => `S${String(i).padStart(6, "0")},2025-01-01,${value}\n`).join("");

  for (const [how, uriOf] of [["a file:// URI", (path: string) => pathToFileURL(path).href], ["a bare path (--source)", (path: string) => path]] as const) {
      it(`fails with a retryable error instead of hashing a mix of the old and new bytes (${how})`, async () => {
      const before = `series_id,obs_date,value\n${rows(1)}`;
      const after = `series_id,obs_date,value\n${rows(2)}`;
      expect(after.length).toBe(before.length);
      expect(before.length).toBeGreaterThan(2 << 20);
      writeFileSync(file, before);
      const store = storeCalling(new FsObjectStore(join(dir, "store")), async () => {
        await sleep(30);
        writeFileSync(file, after);
      });
      const { fetchSource } = fetchSourceActivities({ store, datasetsDir: dir, sources: { policy: testSourcePolicy() } });
      const fetching = fetchSource({ dataset: "series", version: "v1", uri: uriOf(file) });
      await expect(fetching).rejects.toBeInstanceOf(SourceChangedError);
      await expect(fetching).rejects.toMatchObject({ retryable: true, message: expect.stringContaining("changed while it was read") });
    });
  }
});
