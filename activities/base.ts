import type { BaseVersion } from "../src/contracts";
import { DefinitionError, findDefinition, validateDefinitionObject, type DatasetDefinition } from "../src/definition";
import { NotFoundError } from "../src/errors";
import { DatasetLayout } from "../src/layout";
import { readModelDefinition, readModelOf } from "../src/ledger/read-models";
import { parsePointer, parseVersionManifest, type Pointer, type VersionManifest } from "../src/manifest/schema";
import { ingestWorkflowId } from "../src/one-writer";
import { systemResolver } from "../src/sources/address";
import type { RecordedSource } from "../src/sources/validator";
import { checkWebhooks } from "../src/sources/webhooks";
import type { ObjectStore } from "../src/store/types";
import type { ActivityDeps } from "./deps";

/** The pointer with its etag, or null when the dataset has never been published. */
export async function readPointer(store: ObjectStore, dataset: string): Promise<{ pointer: Pointer; etag: string } | null> {
  const layout = new DatasetLayout(dataset);
  try {
    const res = await store.get(layout.key(layout.pointer()));
    return { pointer: parsePointer(res.body, `${dataset}/current/manifest.json`), etag: res.etag };
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

/** Reads a version manifest by its path relative to the dataset root. */
export async function readManifest(store: ObjectStore, dataset: string, path: string): Promise<VersionManifest> {
  const layout = new DatasetLayout(dataset);
  const res = await store.get(layout.key(path));
  return parseVersionManifest(res.body, `${dataset}/${path}`);
}

/** The source the base version's manifest records; null when it cannot be read (the run then hashes the source). */
export async function recordedSource(deps: { store: ObjectStore }, dataset: string, manifest: string): Promise<RecordedSource | null> {
  try {
    return (await readManifest(deps.store, dataset, manifest)).source;
  } catch {
    return null;
  }
}

/** Activities that read what a run plans from. */
export function baseActivities(deps: ActivityDeps) {
  return {
    /**
     * The dataset definition: the one passed in (validated again here), else a ledger read model's
     * generated one (ids `ledger.<ledger>.events|balances` are reserved), else loaded by id from the
     * definitions directory.
     */
    async resolveDefinition({ dataset, definition }: { dataset: string; definition?: unknown }): Promise<DatasetDefinition> {
      const readModel = definition === undefined ? readModelOf(dataset) : null;
      const resolved = readModel
        ? readModelDefinition(readModel.ledger, readModel.model)
        : definition === undefined ? await findDefinition(deps.datasetsDir, dataset) : validateDefinitionObject(definition, `definition of ${dataset}`);
      if (resolved.id !== dataset) {
        const problem = `definition of ${dataset}: id is "${resolved.id}", not "${dataset}"; pass a definition whose id matches the dataset.`;
        throw new DefinitionError(`definition of ${dataset}`, [problem]);
      }
      await checkWebhooks(resolved, deps.env ?? process.env, deps.sources?.resolve ?? systemResolver);
      return resolved;
    },

    /** Reads the pointer once, before planning: its etag is what publish CASes against (SPEC §2). */
    async readBase({ dataset }: { dataset: string }): Promise<BaseVersion | null> {
      const current = await readPointer(deps.store, dataset);
      if (!current) return null;
      const manifest = await readManifest(deps.store, dataset, current.pointer.manifest);
      return {
        version: current.pointer.current_version,
        etag: current.etag,
        manifest: current.pointer.manifest,
        sourceSha256: manifest.source.sha256,
        rowsTotal: manifest.totals.rows_total,
        schema: manifest.schema,
        projections: Object.keys(manifest.projections).sort(),
      };
    },

    /** The running ingest of a dataset, for refusal messages. */
    async describeHolder({ dataset }: { dataset: string }): Promise<{ workflowId: string; runId: string } | null> {
      if (!deps.temporalClient) return null;
      try {
        const desc = await deps.temporalClient().workflow.getHandle(ingestWorkflowId(dataset)).describe();
        return { workflowId: desc.workflowId, runId: desc.runId };
      } catch {
        return null;
      }
    },
  };
}
