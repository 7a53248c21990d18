/** Delta planning: the key index, the in-memory and streaming planners, and index ↔ Arrow conversion. */
export { AppendKeyExistsError, DuplicateKeyError, IndexFormatError, SourceEmptyError } from "./errors";
export { type IndexChunk, KeyIndex } from "./key-index";
export { bswap32, compareKeys, sortIdsByKey, sortNearlySortedIds } from "./key-order";
export {
  INDEX_BATCH_ROWS,
  INDEX_SCHEMA,
  indexChunkFromRecordBatch,
  indexChunkToRecordBatch,
  indexChunks,
  keyIndexFromBatches,
  keyIndexToTable,
  loadKeyIndex,
} from "./index-arrow";
export { type DeltaPlan, type PlanDeltaInput, planDelta } from "./plan";
export { type StreamingDeltaInput, type StreamingDeltaPlan, planDeltaStreaming } from "./plan-streaming";
export { type DeltaCounts, type DeltaInput, type DeltaMode, type DeltaPlanCore, type DuplicatePolicy, type MonthCounts, Op } from "./types";
