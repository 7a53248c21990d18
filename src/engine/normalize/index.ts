/** Normalize on the DuckDB engine: the JS normalizer's semantics as SQL, with a fallback when they cannot be matched exactly. */
export { EngineNormalizeError, type EngineNormalizeInput, type EngineNormalizeResult, normalizeWithEngine } from "./normalize.js";
export { type CsvFacts, type NormalizePlan, type PlanOptions, type Unsupported, planNormalize, resolveColumns, unsupportedDefinition } from "./plan.js";
export { fragmentsCopySql, normalizeFragments } from "./fragments.js";
