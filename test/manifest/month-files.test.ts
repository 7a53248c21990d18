import { describe, expect, it } from "vitest";
import { asV2, monthEntry, monthFiles, projectionPaths } from "../../src/manifest/month-files";
import { parseVersionManifest } from "../../src/manifest/schema";

describe("monthFiles", () => {
  it("reads a /1 month as its one file and a /2 month as its files in order", () => {
    expect(monthFiles({ path: "a", rows: 3, bytes: 9 })).toEqual([{ path: "a", rows: 3, bytes: 9 }]);
    expect(monthFiles({ path: "a", rows: 3 })).toEqual([{ path: "a", rows: 3 }]);
    expect(monthFiles({ rows: 5, files: [{ path: "b", rows: 2, bytes: 1 }, { path: "a", rows: 3, bytes: 2 }] })).toEqual([
      { path: "b", rows: 2, bytes: 1 },
      { path: "a", rows: 3, bytes: 2 },
    ]);
  });
});

describe("monthEntry and asV2", () => {
  it("sums the rows, drops empty files, and is null when no file is left", () => {
    expect(monthEntry([{ path: "a", rows: 2, bytes: 1 }, { path: "b", rows: 0, bytes: 1 }])).toEqual({ rows: 2, files: [{ path: "a", rows: 2, bytes: 1 }] });
    expect(monthEntry([])).toBeNull();
  });
  it("turns a /1 month into a /2 month, taking missing sizes from the map", () => {
    expect(asV2({ path: "a", rows: 2 }, new Map([["a", 7]]))).toEqual({ rows: 2, files: [{ path: "a", rows: 2, bytes: 7 }] });
    expect(() => asV2({ path: "a", rows: 2 })).toThrow(/size of a/);
  });
  it("lists every path of every projection", () => {
    expect(projectionPaths({ x: { "2024-01": { path: "a", rows: 1 } }, y: { "2024-01": { rows: 2, files: [{ path: "b", rows: 1, bytes: 1 }, { path: "c", rows: 1, bytes: 1 }] } } })).toEqual(["a", "b", "c"]);
  });
});

const manifest = (format: string, month: unknown) =>
  JSON.stringify({
    format, dataset_id: "d", version: "v", parent_version: null, created_at: "2026-01-01T00:00:00Z", run: { workflow_id: "w", run_id: "r" },
    source: { uri: "u", bytes: 0, sha256: "s", etag: null }, schema: { columns: [], key: [], partition_by: "p" }, events: [], index: [],
    projections: { latest: { "2024-01": month } }, totals: { rows_total: 0, inserted: 0, updated: 0, deleted: 0 },
  });

describe("parseVersionManifest", () => {
  it("accepts /1 months in /1 manifests and /2 months in /2 manifests, and rejects a mix", () => {
    expect(parseVersionManifest(manifest("tidemark.version/1", { path: "a", rows: 1 })).projections.latest["2024-01"]).toEqual({ path: "a", rows: 1 });
    const two = { rows: 1, files: [{ path: "a", rows: 1, bytes: 3 }] };
    expect(parseVersionManifest(manifest("tidemark.version/2", two)).projections.latest["2024-01"]).toEqual(two);
    expect(() => parseVersionManifest(manifest("tidemark.version/2", { path: "a", rows: 1 }))).toThrow(/projections.latest.2024-01: a month of tidemark.version\/2 must be/);
    expect(() => parseVersionManifest(manifest("tidemark.version/1", two))).toThrow(/must be \{ path, rows \}/);
    expect(() => parseVersionManifest(manifest("tidemark.version/2", { rows: 0, files: [] }))).toThrow(/malformed/);
  });
});
