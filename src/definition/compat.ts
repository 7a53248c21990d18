/**
 * Whether a definition can extend the current version (pure, so workflows use it): the key, the
 * partition (column and granularity) and the columns with their types are the contract of every
 * published file, so a definition that changes them cannot add a version on top. Projections may
 * change freely.
 */
import { type PartitionBy, partitionColumn, partitionGranularity } from "./partition";

/** The schema part of a version manifest (SPEC §2); a decimal column records how it is kept (`decimal`) in versions written since this field exists. */
export interface PublishedSchema {
  columns: { name: string; type: string; decimal?: string }[];
  key: string[];
  partition_by: PartitionBy;
}

/** The definition fields the check compares. */
export interface DefinedSchema {
  columns: { name: string; type: string; decimal?: string }[];
  key: string[];
  partition_by: PartitionBy;
}

const list = (names: string[]) => names.map((n) => `"${n}"`).join(", ");

/** What a definition changes in the published schema, one verb phrase per change; empty when compatible. */
export function schemaChanges(defined: DefinedSchema, published: PublishedSchema): string[] {
  const changes: string[] = [];
  if (defined.key.join("\u0000") !== published.key.join("\u0000")) changes.push(`changes the key from [${list(published.key)}] to [${list(defined.key)}]`);
  const [column, was] = [partitionColumn(defined.partition_by), partitionColumn(published.partition_by)];
  if (column !== was) changes.push(`changes partition_by from "${was}" to "${column}"`);
  const [granularity, wasGranularity] = [partitionGranularity(defined.partition_by), partitionGranularity(published.partition_by)];
  if (granularity !== wasGranularity) changes.push(`changes the partition granularity from ${wasGranularity} to ${granularity}`);
  const before = new Map(published.columns.map((c) => [c.name, c]));
  for (const c of defined.columns) {
    const was = before.get(c.name);
    if (was === undefined) changes.push(`adds column "${c.name}"`);
    else if (was.type !== c.type) changes.push(`changes the type of "${c.name}" from ${was.type} to ${c.type}`);
    else if (c.type === "decimal" && was.decimal !== undefined && c.decimal !== undefined && was.decimal !== c.decimal) {
      changes.push(`changes how decimal "${c.name}" is kept from ${was.decimal} to ${c.decimal}`);
    }
  }
  const after = new Set(defined.columns.map((c) => c.name));
  for (const name of before.keys()) if (!after.has(name)) changes.push(`removes column "${name}"`);
  return changes;
}

/**
 * `definition` with its columns in the order `published` lists them, when both have the same
 * column names (otherwise unchanged): the order of columns in a definition file is cosmetic, while
 * the published order is the order of every file's columns and of the row hash (docs/hashing.md).
 */
export function inPublishedOrder<D extends { schema: { columns: { name: string }[] } }>(definition: D, published: { columns: { name: string }[] } | undefined): D {
  if (published === undefined) return definition;
  const defined = new Map(definition.schema.columns.map((c) => [c.name, c]));
  if (defined.size !== published.columns.length || published.columns.some((c) => !defined.has(c.name))) return definition;
  if (published.columns.every((c, i) => definition.schema.columns[i].name === c.name)) return definition;
  return { ...definition, schema: { ...definition.schema, columns: published.columns.map((c) => defined.get(c.name)!) } };
}

/** The one-sentence message of a schema conflict. */
export function schemaConflictMessage(dataset: string, version: string, changes: string[]): string {
  return (
    `The definition of ${dataset} ${changes.join(", ")} compared with the published version ${version}, ` +
    `and published files cannot change their schema in place; restore the definition, or publish the new schema under a new dataset id.`
  );
}

/** Whether the definition's projections differ from the names a version lists. */
export function projectionsDiffer(defined: { name: string }[], published: string[]): boolean {
  const a = defined.map((p) => p.name).sort();
  const b = [...published].sort();
  return a.length !== b.length || a.some((n, i) => n !== b[i]);
}
