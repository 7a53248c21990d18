/**
 * The dates a partition column may hold (SPEC §2): a partition number is `yyyy`, `yyyymm` or
 * `yyyymmdd` and its digit count tells the granularity, so only years 1000–9999 can be labelled.
 * A partition value outside them is a bad row on both normalize paths, with the same reason.
 */

/** Day number (days since 1970-01-01) of 1000-01-01, the first partition date. */
export const FIRST_PARTITION_DAY = -354_285;

/** Day number of 9999-12-31, the last partition date. */
export const LAST_PARTITION_DAY = 2_932_896;

/** Whether day number `days` (a UTC date) can name a partition. */
export function inPartitionRange(days: number): boolean {
  return days >= FIRST_PARTITION_DAY && days <= LAST_PARTITION_DAY;
}

/** The bad-row reason of a partition value outside the range, for a `date` or a `timestamp` column. */
export function partitionRangeReason(type: "date" | "timestamp"): string {
  return type === "date" ? "a date outside the partition years 1000–9999" : "a timestamp whose UTC date is outside the partition years 1000–9999";
}
