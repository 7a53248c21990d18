import { mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FsObjectStore } from "../../src/store/fs";

describe("FsObjectStore.sweepAbandonedWrites", () => {
  it("finds temporary files of writes that never finished, only under the prefix and only older than the cutoff", async () => {
    const root = mkdtempSync(join(tmpdir(), "tidemark-abandoned-"));
    const store = new FsObjectStore(root);
    await store.put("datasets/a/events/v1/manifest.json", "{}");
    const monthDir = join(root, "datasets", "a", "projections", "latest", "year=2024", "month=01");
    mkdirSync(monthDir, { recursive: true });
    writeFileSync(join(monthDir, ".tmp-dead"), "half a file");
    writeFileSync(join(monthDir, ".tmp-live"), "being written");
    mkdirSync(join(root, "datasets", "b"), { recursive: true });
    writeFileSync(join(root, "datasets", "b", ".tmp-other"), "another dataset");
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(join(monthDir, ".tmp-dead"), old, old);
    const cutoff = new Date(Date.now() - 60_000);

    expect(await store.sweepAbandonedWrites("datasets/a/", cutoff, true)).toEqual([{ key: "datasets/a/projections/latest/year=2024/month=01/.tmp-dead", size: 11 }]);
    expect(readdirSync(monthDir).sort()).toEqual([".tmp-dead", ".tmp-live"]);

    expect(await store.sweepAbandonedWrites("datasets/a/", cutoff, false)).toHaveLength(1);
    expect(readdirSync(monthDir)).toEqual([".tmp-live"]);
    expect(readdirSync(join(root, "datasets", "b"))).toEqual([".tmp-other"]);
    expect((await store.get("datasets/a/events/v1/manifest.json")).body.toString()).toBe("{}");
    expect(await store.sweepAbandonedWrites("datasets/missing/", cutoff, false)).toEqual([]);
  });
});
