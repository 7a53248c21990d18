import type { BaseVersion } from "../src/contracts";
import { DefinitionError, findDefinition, validateDefinitionObject, type DatasetDefinition } from "../src/definition";
import { readModelDefinition, readModelOf } from "../src/ledger/read-models";
import { ingestWorkflowId } from "../src/one-writer";
import { systemResolver } from "../src/sources/address";
import { checkWebhooks } from "../src/sources/webhooks";
import type { ActivityDeps } from "./deps";
import { readManifest, readPointer } from "../src/manifest/read";

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
        readFingerprint: manifest.source.read,
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
