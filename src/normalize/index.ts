/** Normalize: raw source batches → one typed Arrow table (SPEC §3 step 2). */
export { type DatePattern, compileDatePattern, daysFromCivil, monthOfDays } from "./datetime.js";
export { AmbiguousColumnError, type BadRow, BadRowsError, MAX_BAD_ROWS, MissingColumnError, describeBadRow } from "./errors.js";
export { type NormalizeInput, type NormalizeResult, normalizeSource } from "./normalize.js";
export { parseDecimal, parseDouble, parseInteger } from "./numbers.js";
