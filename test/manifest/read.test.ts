import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NotFoundError } from "../../src/errors";
import { DatasetLayout } from "../../src/layout";
import { readManifest, readPointer, recordedSource } from "../../src/manifest/read";
import { serializeJson } from "../../src/manifest/schema";
import { FsObjectStore } from "../../src/store/fs";
import { recordedSourceManifest } from "../support/recorded-manifest";

const DATASET = "series";
const VERSION = "20250101T000000000Z-aaaaaaaa";
const SOURCE = { uri: "file:///data/series.csv", bytes: 12, sha256: "a".repeat(64), etag: null };

function freshStore(): FsObjectStore {
  return new FsObjectStore(mkdtempSync(join(tmpdir(), "tm-manifest-read-")));
}

describe("reading a dataset's pointer and manifests", () => {
  const layout = new DatasetLayout(DATASET);

  it("answers null for a dataset never published, and the pointer with its etag once it is", async () => {
    const store = freshStore();
    expect(await readPointer(store, DATASET)).toBeNull();
    const pointer = { format: "tidemark.pointer/1", dataset_id: DATASET, current_version: VERSION, manifest: layout.versionManifest(VERSION), parent_version: null, published_at: "2025-01-01T00:00:00.000Z" };
    const { etag } = await store.put(layout.key(layout.pointer()), serializeJson(pointer), { kind: "create" });
    expect(await readPointer(store, DATASET)).toEqual({ pointer, etag });
  });

  it("reads a manifest by its path under the dataset, and says which one is missing", async () => {
    const store = freshStore();
    const path = layout.versionManifest(VERSION);
    await expect(readManifest(store, DATASET, path)).rejects.toBeInstanceOf(NotFoundError);
    await store.put(layout.key(path), serializeJson(recordedSourceManifest(DATASET, VERSION, SOURCE)), { kind: "create" });
    const manifest = await readManifest(store, DATASET, path);
    expect(manifest.version).toBe(VERSION);
    expect(manifest.source).toEqual(SOURCE);
  });

  it("gives the source a manifest records, or null when the manifest cannot be read", async () => {
    const store = freshStore();
    const path = layout.versionManifest(VERSION);
    expect(await recordedSource({ store }, DATASET, path)).toBeNull();
    await store.put(layout.key(path), "{ not json", { kind: "create" });
    expect(await recordedSource({ store }, DATASET, path)).toBeNull();
    await store.put(layout.key(path), serializeJson(recordedSourceManifest(DATASET, VERSION, SOURCE)), { kind: "overwrite" });
    expect(await recordedSource({ store }, DATASET, path)).toEqual(SOURCE);
  });
});
