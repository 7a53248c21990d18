import { asV2 } from "./month-files";
import type { MergedMonths } from "./optimize";
import { derivedManifest } from "./derived-manifest";
import type { VersionManifest } from "./schema";

/**
 * The manifest of an optimize version: the parent's schema, source and index, no events, zero
 * change counts, and the parent's projections with the merged months replaced (all months `/2`).
 */
export function optimizeManifest(
  parent: VersionManifest,
  input: { version: string; createdAt: string; run: { workflow_id: string; run_id: string }; merged: MergedMonths },
  sizes: ReadonlyMap<string, number> = new Map(),
): VersionManifest {
  const projections: VersionManifest["projections"] = {};
  for (const [name, months] of Object.entries(parent.projections)) {
    projections[name] = Object.fromEntries(Object.entries(months).map(([m, e]) => [m, input.merged[name]?.[m] ?? asV2(e, sizes)]));
  }
  return derivedManifest(parent, { version: input.version, createdAt: input.createdAt, run: input.run, projections, rowsTotal: parent.totals.rows_total });
}
