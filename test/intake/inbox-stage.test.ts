import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lastCompactionFragments } from "../../src/intake/inbox-stage";
import { parseVersionManifest } from "../../src/manifest/schema";
import { FsObjectStore } from "../../src/store/fs";

const FIXTURE = "test/fixtures/stores/hash2-bool/datasets/flags/events/20261130T234232395Z-2e4352e3/manifest.json";

describe("the fragments the last compaction consumed", () => {
  it("are found past any number of other versions (1,100 file-source versions on top)", async () => {
    const manifest = parseVersionManifest(readFileSync(FIXTURE));
    const store = new FsObjectStore(mkdtempSync(join(tmpdir(), "tm-inbox-stage-")));
    const dataset = manifest.dataset_id;
    const id = (i: number) => `20261203T000000000Z-${i.toString(16).padStart(8, "0")}`;
    const fragment = "20261203T000000000Z-000000-0123456789ab";
    const put = (i: number, source: object) =>
      store.put(`datasets/${dataset}/events/${id(i)}/manifest.json`, JSON.stringify({ ...manifest, version: id(i), parent_version: i === 1 ? null : id(i - 1), source: { ...manifest.source, ...source } }));
    await put(1, { uri: `push:${dataset}`, fragments: [fragment] });
    for (let i = 2; i <= 1101; i++) await put(i, {});
    expect(await lastCompactionFragments(store, dataset, `events/${id(1101)}/manifest.json`)).toEqual([fragment]);
  });
});
