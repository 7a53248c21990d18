import { VERSION_FORMAT, type VersionManifest } from "./schema";

/** What a maintenance version (optimize, repair) sets; everything else comes from its parent. */
export interface DerivedVersion {
  version: string;
  createdAt: string;
  run: { workflow_id: string; run_id: string };
  projections: VersionManifest["projections"];
  index?: VersionManifest["index"];
  rowsTotal: number;
}

/**
 * The manifest of a version that rewrites files without changing rows (optimize, repair): the
 * parent's schema and source (its `source.fragments` too, not its `set_aside`), no events, no quarantine, zero change
 * counts, and the given projections (and index, else the parent's). Pure.
 */
export function derivedManifest(parent: VersionManifest, d: DerivedVersion): VersionManifest {
  const { quarantine: _quarantine, ...rest } = parent;
  const { set_aside: _setAside, ...source } = parent.source;
  return {
    ...rest,
    source,
    format: VERSION_FORMAT,
    version: d.version,
    parent_version: parent.version,
    created_at: d.createdAt,
    run: d.run,
    events: [],
    index: d.index ?? parent.index,
    projections: d.projections,
    totals: { rows_total: d.rowsTotal, inserted: 0, updated: 0, deleted: 0 },
  };
}
