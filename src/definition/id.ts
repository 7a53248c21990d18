/** Dataset id validation (SPEC §2), safe to call on untrusted CLI input before any I/O. */
import { InvalidDatasetIdError } from "./errors.js";

/** The pattern every dataset id matches. */
export const DATASET_ID_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,127}$/;

/** Whether `id` is a valid dataset id. */
export function isValidDatasetId(id: unknown): id is string {
  return typeof id === "string" && DATASET_ID_PATTERN.test(id);
}

/** Returns `id` unchanged when valid; otherwise throws {@link InvalidDatasetIdError}. */
export function validateDatasetId(id: unknown): string {
  if (!isValidDatasetId(id)) throw new InvalidDatasetIdError(typeof id === "string" ? id : String(id));
  return id;
}
