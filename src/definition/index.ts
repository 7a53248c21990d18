/** Dataset definitions: schema, loading and validation (SPEC §6). */
export { DefinitionError, DefinitionNotFoundError, InvalidDatasetIdError } from "./errors.js";
export { DATASET_ID_PATTERN, isValidDatasetId, validateDatasetId } from "./id.js";
export { findDefinition, loadDefinitionFile, loadDefinitionsDir, parseDefinition, validateDefinitionObject } from "./load.js";
export {
  COLUMN_TYPES,
  type ColumnDefinition,
  type ColumnType,
  type DatasetDefinition,
  SOURCE_FORMATS,
  type SourceFormat,
  type SourceOptions,
  type UnpivotDefinition,
} from "./schema.js";
export { formatFromUri } from "./semantics.js";
