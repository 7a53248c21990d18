/**
 * Names of permanent errors: Temporal must not retry an activity that failed with one of these
 * (SPEC §3: bad config, bad data, 403, schema conflict). Pure, so workflows import it.
 */
export const NON_RETRYABLE_ERROR_TYPES = [
  "DefinitionError",
  "DefinitionNotFoundError",
  "InvalidDatasetIdError",
  "InvalidKeyError",
  "BadRowsError",
  "MissingColumnError",
  "AmbiguousColumnError",
  "DuplicateKeyError",
  "UnsupportedColumnError",
  "AppendKeyExistsError",
  "SourceFormatError",
  "SourceNotFoundError",
  "SourceAccessDeniedError",
  "SourceUnreachableError",
  "SourceEmptyError",
  "MissingEnvReferenceError",
  "StoreAccessDeniedError",
  "StoreConfigError",
  "ConflictingObjectError",
  "ManifestFormatError",
  "SchemaConflictError",
  "UnsupportedSourceError",
  "SourceNotAllowedError",
  "WebhookNotAllowedError",
  "LimitExceededError",
  "RepairImpossibleError",
  "IngestRunningError",
  "GcUnsafeError",
  "InvalidGcAgeError",
  "PaymentInputError",
  "WalletNotFoundError",
  "WalletExistsError",
  "CurrencyMismatchError",
  "OpConflictError",
  "LedgerCorruptError",
] as const;

/** Dataset ids accepted by Tidemark (SPEC §2). */
export const DATASET_ID_RE = /^[a-z0-9][a-z0-9_.-]{0,127}$/;
