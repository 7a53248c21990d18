import { DatasetLayout } from "../src/layout";
import type { Finding } from "../src/maintenance";
import { NotFoundError, StoreAccessDeniedError, StoreConfigError, StoreUnavailableError } from "../src/errors";
import { eventFileMonths, type Pointer, type VersionManifest } from "../src/manifest/schema";
import type { ObjectStore } from "../src/store/types";
import { readManifest, readPointer } from "../src/manifest/read";

/** The version chain from the pointer back to the root, with what is wrong with it. */
export interface Chain {
  pointer: Pointer | null;
  etag: string | null;
  /** Manifests newest first, as far as they could be read. */
  manifests: VersionManifest[];
  /** Whether the walk reached the root without a gap, cycle or mismatch. */
  complete: boolean;
  findings: Finding[];
}

/**
 * A failure of the store itself (unavailable, access denied, misconfigured): it says nothing about the
 * object, so the walk raises it (the activity retries or reports it) instead of reporting a damaged chain.
 */
function storeFailure(err: unknown): boolean {
  return err instanceof StoreUnavailableError || err instanceof StoreAccessDeniedError || err instanceof StoreConfigError;
}

function describe(err: unknown): string {
  return (err as Error).message.replace(/\.$/, "");
}

/** Walks pointer → manifest → parent manifests; never throws for a broken or malformed chain, reports it (a failing store is raised). */
export async function walkChain(store: ObjectStore, dataset: string): Promise<Chain> {
  const layout = new DatasetLayout(dataset);
  const chain: Chain = { pointer: null, etag: null, manifests: [], complete: false, findings: [] };
  const found = (f: Finding) => chain.findings.push(f);
  let current;
  try {
    current = await readPointer(store, dataset);
  } catch (err) {
    if (storeFailure(err)) throw err;
    found({ check: "pointer", object: layout.pointer(), problem: `The pointer is unreadable (${describe(err)}).` });
    return chain;
  }
  if (!current) {
    found({ check: "pointer", object: layout.pointer(), problem: `The pointer does not exist, so ${dataset} has no published version; ingest it first.` });
    return chain;
  }
  chain.pointer = current.pointer;
  chain.etag = current.etag;
  if (current.pointer.dataset_id !== dataset) found({ check: "pointer", object: layout.pointer(), problem: `The pointer names dataset ${current.pointer.dataset_id} instead of ${dataset}.` });
  if (current.pointer.manifest !== layout.versionManifest(current.pointer.current_version)) {
    found({ check: "pointer", object: layout.pointer(), problem: `The pointer's manifest path ${current.pointer.manifest} is not the manifest of its version ${current.pointer.current_version}.` });
  }
  const seen = new Set<string>();
  let version: string | null = current.pointer.current_version;
  let path = current.pointer.manifest;
  let child: string | null = null;
  while (version !== null) {
    if (seen.has(version)) {
      found({ check: "chain", object: path, problem: `The version chain loops back to ${version}, so it has no root; restore the parent_version fields from a backup.` });
      return chain;
    }
    seen.add(version);
    let manifest: VersionManifest;
    try {
      manifest = await readManifest(store, dataset, path);
    } catch (err) {
      if (storeFailure(err)) throw err;
      const check = child === null ? "manifest" : "chain";
      const whose = child === null ? "the current version" : `version ${version}, parent of ${child},`;
      const problem = err instanceof NotFoundError ? `The manifest of ${whose} is missing, so the version chain is broken; restore it from a backup (events cannot be derived).` : `The manifest of ${whose} is unreadable (${describe(err)}).`;
      found({ check, object: path, problem });
      return chain;
    }
    if (manifest.version !== version) {
      found({ check: "chain", object: path, problem: `The manifest records version ${manifest.version} but is stored as version ${version}.` });
      return chain;
    }
    if (manifest.dataset_id !== dataset) {
      found({ check: "chain", object: path, problem: `The manifest of version ${version} belongs to dataset ${manifest.dataset_id}, not ${dataset}.` });
      return chain;
    }
    if (child === null && manifest.parent_version !== current.pointer.parent_version) {
      found({ check: "pointer", object: layout.pointer(), problem: `The pointer's parent_version ${current.pointer.parent_version} differs from the manifest's ${manifest.parent_version}.` });
    }
    chain.manifests.push(manifest);
    child = version;
    version = manifest.parent_version;
    if (version !== null) path = layout.versionManifest(version);
  }
  chain.complete = true;
  return chain;
}

/** An event file of the chain: the partitions its manifest entry lists and the version that wrote it. */
export interface ChainEventFile {
  path: string;
  rows: number;
  bytes: number;
  version: string;
  months: string[];
  /** A version's single event file (format `/2`): each row's partition comes from its partition column, not from the entry. */
  single: boolean;
}

/** The event files of a chain, oldest version first. */
export function chainEventFiles(manifestsNewestFirst: VersionManifest[]): ChainEventFile[] {
  return [...manifestsNewestFirst].reverse().flatMap((manifest) =>
    manifest.events.map((e) => ({ path: e.path, rows: e.rows, bytes: e.bytes, version: manifest.version, months: eventFileMonths(e), single: "months" in e })),
  );
}

/** The chain's event files by partition label, labels ascending, oldest version first (a version's single file under each partition it holds). */
export function eventsByMonth(files: ChainEventFile[]): Map<string, ChainEventFile[]> {
  const months = new Map<string, ChainEventFile[]>();
  for (const file of files) {
    for (const month of file.months) {
      if (!months.has(month)) months.set(month, []);
      months.get(month)!.push(file);
    }
  }
  return new Map([...months.entries()].sort(([a], [b]) => a.localeCompare(b)));
}
