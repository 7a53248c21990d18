/**
 * Payloads and constants of `optimizeDataset` (SPEC §2 "optimize"). Pure and free of runtime
 * imports, so the workflow imports it.
 */
import type { ProjectionMonthV2 } from "./schema";

/** Part files a projection month may have before `optimize` merges it, when the definition sets no `max_parts`. */
export const DEFAULT_MAX_PARTS = 16;

/** Input of `optimizeDataset`. Startable as `temporal workflow start --type optimizeDataset --input '{"dataset":"x"}'`. */
export interface OptimizeInput {
  dataset: string;
  /** Merge every month of more than one file, not only those above `max_parts`. */
  all?: boolean;
  /** Overrides the definition's `max_parts` (the definition is not needed then, nor with `all`). */
  maxParts?: number;
}

/** Result of `optimizeDataset`. */
export interface OptimizeResult {
  dataset: string;
  /** `published`: a new version holds the merged months; `nothing`: no month had too many parts (or nothing is published). */
  status: "published" | "nothing";
  version: string | null;
  parentVersion: string | null;
  /** Projection months merged, `name/YYYY-MM`. */
  merged: string[];
  /** Part files the merged months had before. */
  partsBefore: number;
  attempts: number;
}

/** Merged months an optimize version writes: name → YYYY-MM → its one new file. */
export type MergedMonths = Record<string, Record<string, ProjectionMonthV2>>;

/** Workflow id of a Schedule's optimize runs before they delegate to the dataset's one-writer id. */
export function optimizeScheduleId(dataset: string): string {
  return `tidemark/optimize-schedule/${dataset}`;
}
