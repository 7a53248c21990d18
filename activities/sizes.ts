import { DatasetLayout } from "../src/layout";
import { monthFiles } from "../src/manifest/month-files";
import type { VersionManifest } from "../src/manifest/schema";
import type { ObjectStore } from "../src/store/types";

/** Sizes of a manifest's projection files whose `/1` entries do not record them (read from the store). */
export async function missingSizes(store: ObjectStore, dataset: string, manifest: VersionManifest | null): Promise<Map<string, number>> {
  const layout = new DatasetLayout(dataset);
  const sizes = new Map<string, number>();
  for (const months of Object.values(manifest?.projections ?? {})) {
    for (const entry of Object.values(months)) for (const f of monthFiles(entry)) if (f.bytes === undefined) sizes.set(f.path, (await store.head(layout.key(f.path))).size);
  }
  return sizes;
}
