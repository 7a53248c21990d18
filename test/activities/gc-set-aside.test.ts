import { existsSync, mkdtempSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gcActivities } from "../../activities/gc";
import { publishActivities } from "../../activities/publish";
import { deleteFragments } from "../../src/intake/inbox-source";
import { DatasetLayout } from "../../src/layout";
import { readManifest, readPointer } from "../../src/manifest/read";
import { FsObjectStore } from "../../src/store/fs";
import type { ObjectStore } from "../../src/store/types";
import { pushDefinition } from "../support/push-definition";

const DATASET = "clicks";
const definition = pushDefinition(DATASET);
const counts = { inserted: 0, updated: 0, deleted: 0, unchanged: 0, rowsTotal: 0 };
const FRAGMENT = "20261201T000000000Z-000000-aaaaaaaaaaaa";
const POISON = '{"id":"a","at":"not a time"}\n';

/** A compaction's publish of `version` on `base` (null: planned on an empty dataset) that consumed FRAGMENT and set it aside. */
function setAsideInput(version: string, base: { version: string; etag: string; manifest: string } | null, runId: string) {
  return {
    dataset: DATASET, version, definition, base: base && { ...base, sourceSha256: "s", rowsTotal: 0 },
    source: { uri: `push:${DATASET}`, bytes: POISON.length, sha256: "s", etag: null, fragments: [FRAGMENT], setAside: [{ fragment: FRAGMENT, reason: "Bad timestamp." }] },
    events: [], index: [], projections: {}, counts, run: { workflow_id: `tidemark/ingest/${DATASET}`, run_id: runId }, createdAt: "2026-12-03T00:00:00.000Z",
  };
}

describe("gc beside a compaction that sets aside a fragment an earlier failed run had set aside too [file store, real activities]", () => {
  it("keeps the copy the new version names, and deletes only the failed run's old copy", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tm-gc-set-aside-"));
    const real = new FsObjectStore(join(dir, "store"));
    const layout = new DatasetLayout(DATASET);
    const publish = publishActivities({ store: real, datasetsDir: dir }).publish;
    const file = (path: string) => join(dir, "store", ...layout.key(path).split("/"));

    await publish({ ...setAsideInput("20261201T000000000Z-00000001", null, "r0"), source: { uri: `push:${DATASET}`, bytes: 0, sha256: "s", etag: null, fragments: [] } });
    await real.put(layout.key(layout.inboxFragment(FRAGMENT)), POISON, { kind: "create" });
    const failed = await publish(setAsideInput("20261202T000000000Z-00000002", null, "r1"));
    expect(failed.status).toBe("conflict");
    const failedCopy = layout.quarantinedFragment("20261202T000000000Z-00000002", FRAGMENT);
    expect(existsSync(file(failedCopy))).toBe(true);
    const hoursAgo = (Date.now() - 3 * 3600_000) / 1000;
    for (const path of [failedCopy, layout.inboxFragment(FRAGMENT)]) utimesSync(file(path), hoursAgo, hoursAgo);

    const record: string[] = [];
    const store: ObjectStore = Object.create(real);
    store.get = (key: string) => {
      if (key.endsWith("/manifest.json") && !record.includes("compaction published")) record.push(`gc reads ${layout.relative(key)}`);
      return real.get(key);
    };
    store.list = (prefix, options) => {
      const listing = real.list(prefix, options);
      if (prefix !== layout.root || options?.pageSize !== undefined || record.includes("compaction published")) return listing;
      return (async function* () {
        const { pointer, etag } = (await readPointer(real, DATASET))!;
        const outcome = await publish(setAsideInput("20261203T000000000Z-00000003", { version: pointer.current_version, etag, manifest: pointer.manifest }, "r2"));
        record.push(`compaction ${outcome.status}`);
        await deleteFragments(real, DATASET, [FRAGMENT]);
        record.push("gc lists the dataset");
        yield* listing;
      })();
    };
    const gc = await gcActivities({ store, datasetsDir: dir }).sweepGarbage({ dataset: DATASET, olderThan: "1h" });

    expect(record).toEqual(["gc reads current/manifest.json", "gc reads events/20261201T000000000Z-00000001/manifest.json", "compaction published", "gc lists the dataset"]);
    const { pointer } = (await readPointer(real, DATASET))!;
    expect(pointer.current_version).toBe("20261203T000000000Z-00000003");
    const entries = (await readManifest(real, DATASET, pointer.manifest)).source.set_aside ?? [];
    expect(entries.map((e) => layout.setAsideCopy(e))).toEqual([layout.quarantinedFragment("20261203T000000000Z-00000003", FRAGMENT)]);
    expect((await real.get(layout.key(layout.setAsideCopy(entries[0])))).body.toString()).toBe(POISON);
    expect(gc.keys).toEqual([failedCopy]);
    expect(existsSync(file(failedCopy))).toBe(false);
  });

  it("still keeps a copy under the shared prefix that an entry written before per-version copies names", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tm-gc-set-aside-old-"));
    const store = new FsObjectStore(join(dir, "store"));
    const layout = new DatasetLayout(DATASET);
    const publish = publishActivities({ store, datasetsDir: dir }).publish;
    await store.put(layout.key(layout.inboxFragment(FRAGMENT)), POISON, { kind: "create" });
    await publish(setAsideInput("20261201T000000000Z-00000001", null, "r0"));
    const { pointer } = (await readPointer(store, DATASET))!;
    const manifestKey = layout.key(pointer.manifest);
    const manifest = JSON.parse((await store.get(manifestKey)).body.toString());
    manifest.source.set_aside = [{ fragment: FRAGMENT, reason: "Bad timestamp." }];
    await store.put(manifestKey, JSON.stringify(manifest));
    const legacy = layout.setAsideCopy(manifest.source.set_aside[0]);
    expect(legacy).toBe(`quarantine/fragments/${FRAGMENT}`);
    await store.put(layout.key(legacy), POISON, { kind: "create" });
    const gc = await gcActivities({ store, datasetsDir: dir }).sweepGarbage({ dataset: DATASET, olderThan: "0" });
    expect(gc.keys).toContain(layout.quarantinedFragment("20261201T000000000Z-00000001", FRAGMENT));
    expect(gc.keys).not.toContain(legacy);
    expect((await store.get(layout.key(legacy))).body.toString()).toBe(POISON);
  });
});
