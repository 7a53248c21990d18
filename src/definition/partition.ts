/**
 * The partition of a dataset (SPEC §2): a date/timestamp column and a granularity. Definitions and
 * version manifests carry it as `partition_by`: the column name alone for `month` (the default, and
 * the only form older stores know), `{ column, granularity }` for `year` and `day`. Pure, so
 * workflows may use it.
 */

/** Partition granularities, coarsest first. */
export const GRANULARITIES = ["year", "month", "day"] as const;

/** A partition granularity. */
export type Granularity = (typeof GRANULARITIES)[number];

/** `partition_by` as definitions and manifests carry it. */
export type PartitionBy = string | { column: string; granularity: Granularity };

/** The partition column. */
export function partitionColumn(partitionBy: PartitionBy): string {
  return typeof partitionBy === "string" ? partitionBy : partitionBy.column;
}

/** The partition granularity (`month` when `partition_by` is a column name). */
export function partitionGranularity(partitionBy: PartitionBy): Granularity {
  return typeof partitionBy === "string" ? "month" : partitionBy.granularity;
}

/** The canonical form: the column name for `month`, `{ column, granularity }` otherwise. */
export function canonicalPartition(column: string, granularity: Granularity = "month"): PartitionBy {
  return granularity === "month" ? column : { column, granularity };
}
