/** Fixtures of a version manifest as a previous run published it, recording its source. */

/** The source fields a manifest records (SPEC §2). */
export interface RecordedSourceFields {
  uri: string;
  bytes: number;
  sha256: string;
  etag: string | null;
}

/** A one-row `/1` manifest of the series schema for `dataset` at `version`, recording `source`. */
export function recordedSourceManifest(dataset: string, version: string, source: RecordedSourceFields) {
  return {
    format: "tidemark.version/1",
    dataset_id: dataset,
    version,
    parent_version: null,
    created_at: "2025-01-01T00:00:00.000Z",
    run: { workflow_id: `tidemark/ingest/${dataset}`, run_id: "run-1" },
    source,
    schema: { columns: [{ name: "series_id", type: "string" }, { name: "obs_date", type: "date" }, { name: "value", type: "double" }], key: ["series_id", "obs_date"], partition_by: "obs_date" },
    events: [],
    index: [],
    projections: { latest: {} },
    totals: { rows_total: 1, inserted: 1, updated: 0, deleted: 0 },
  };
}
