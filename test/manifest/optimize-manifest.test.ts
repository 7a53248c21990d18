import { describe, expect, it } from "vitest";
import { optimizeManifest } from "../../src/manifest/optimize-manifest";
import type { VersionManifest } from "../../src/manifest/schema";

const parent: VersionManifest = {
  format: "tidemark.version/1", dataset_id: "d", version: "v1", parent_version: null, created_at: "2026-01-01T00:00:00.000Z",
  run: { workflow_id: "w", run_id: "r" }, source: { uri: "file:///x.csv", bytes: 10, sha256: "abc", etag: null },
  schema: { columns: [{ name: "id", type: "string" }], key: ["id"], partition_by: "d" },
  events: [{ path: "events/v1/e.parquet", month: "2024-01", rows: 3, bytes: 5, inserted: 3, updated: 0, deleted: 0 }],
  index: [{ path: "index/v1/keys.parquet", rows: 3, bytes: 7 }],
  projections: { latest: { "2024-01": { path: "p/01", rows: 2, bytes: 11 }, "2024-02": { path: "p/02", rows: 1 } } },
  totals: { rows_total: 3, inserted: 3, updated: 0, deleted: 0 },
  quarantine: { path: "events/v1/quarantine.ndjson", rows: 1 },
};

describe("optimizeManifest", () => {
  it("keeps the parent's source, schema and index, has no events and zero changes, and replaces only the merged months", () => {
    const merged = { latest: { "2024-01": { rows: 2, files: [{ path: "p/01-merged", rows: 2, bytes: 9 }] } } };
    const m = optimizeManifest(parent, { version: "v2", createdAt: "2026-02-01T00:00:00.000Z", run: { workflow_id: "w2", run_id: "r2" }, merged }, new Map([["p/02", 4]]));
    expect(m).toEqual({
      ...parent,
      format: "tidemark.version/2", version: "v2", parent_version: "v1", created_at: "2026-02-01T00:00:00.000Z", run: { workflow_id: "w2", run_id: "r2" },
      events: [],
      projections: { latest: { "2024-01": merged.latest["2024-01"], "2024-02": { rows: 1, files: [{ path: "p/02", rows: 1, bytes: 4 }] } } },
      totals: { rows_total: 3, inserted: 0, updated: 0, deleted: 0 },
      quarantine: undefined,
    });
    expect("quarantine" in m).toBe(false);
  });
});
