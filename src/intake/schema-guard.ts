/**
 * Refuses pushes whose records could never be published: a push dataset's definition on this
 * server whose schema differs from the dataset's published version (docs/datasets.md "Changing a
 * definition"). Without it the server would acknowledge records that every compaction refuses,
 * and that a compaction under the restored definition would apply without their other columns.
 */
import { schemaChanges } from "../definition/compat.js";
import type { DatasetDefinition } from "../definition/schema.js";
import { readManifest, readPointer } from "../manifest/read.js";
import type { ObjectStore } from "../store/types.js";
import { IntakeRequestError } from "./errors.js";

/** How long a decision about a dataset's published schema is reused before the store is read again. */
export const SCHEMA_RECHECK_MS = 30_000;

/** The one-sentence refusal of pushes to `dataset` whose definition makes `changes` to published `version`. */
export function pushSchemaConflictMessage(dataset: string, version: string, changes: string[]): string {
  return (
    `The definition of ${dataset} on this server ${changes.join(", ")} compared with the published version ${version}, so no compaction could publish these records; ` +
    `restore the definition and restart tidemark serve, or publish the new schema under a new dataset id.`
  );
}

/** Checks a push dataset's definition against its published schema, reading the store at most once per {@link SCHEMA_RECHECK_MS} per dataset. */
export class SchemaGuard {
  private readonly decided = new Map<string, { at: number; conflict: Promise<string | null> }>();

  constructor(private readonly store: ObjectStore, private readonly now: () => number = Date.now) {}

  /** Throws 409 when `def` conflicts with the published schema, 503 when the store cannot tell. */
  async check(def: DatasetDefinition): Promise<void> {
    let entry = this.decided.get(def.id);
    if (!entry || this.now() - entry.at >= SCHEMA_RECHECK_MS) {
      entry = { at: this.now(), conflict: this.conflict(def) };
      this.decided.set(def.id, entry);
    }
    let conflict: string | null;
    try {
      conflict = await entry.conflict;
    } catch {
      if (this.decided.get(def.id) === entry) this.decided.delete(def.id);
      throw new IntakeRequestError(503, `The published schema of ${def.id} could not be read from the store; retry after a moment.`, {}, { "retry-after": "1" });
    }
    if (conflict !== null) throw new IntakeRequestError(409, conflict);
  }

  private async conflict(def: DatasetDefinition): Promise<string | null> {
    const current = await readPointer(this.store, def.id);
    if (current === null) return null;
    const manifest = await readManifest(this.store, def.id, current.pointer.manifest);
    const changes = schemaChanges(def.schema, manifest.schema);
    return changes.length > 0 ? pushSchemaConflictMessage(def.id, manifest.version, changes) : null;
  }
}
