import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gcActivities } from "../../activities/gc";
import { FsObjectStore } from "../../src/store/fs";

describe("sweepGarbage of a dataset the store holds nothing of (an id never ingested, or mistyped)", () => {
  it("deletes nothing and leaves nothing behind: no clock probe, no empty directories", async () => {
    const root = join(mkdtempSync(join(tmpdir(), "tm-gc-empty-")), "store");
    const store = new FsObjectStore(root);
    await store.put("datasets/real/current/manifest.json", "{}");
    const result = await gcActivities({ store, datasetsDir: root }).sweepGarbage({ dataset: "typo", olderThan: "0" });
    expect(result).toMatchObject({ scanned: 0, deleted: 0 });
    expect(existsSync(join(root, "datasets", "typo"))).toBe(false);
    expect(readdirSync(join(root, "datasets"))).toEqual(["real"]);
  });
});
