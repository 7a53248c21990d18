/** Errors raised while loading and validating dataset definitions. */
import { TidemarkError } from "../errors.js";

/**
 * A definition file is unreadable, not valid YAML/JSON, or does not satisfy the
 * definition schema. The message holds one sentence per problem, each naming the
 * file, the path inside it and what is expected; `problems` lists them separately.
 */
export class DefinitionError extends TidemarkError {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(problems.join("\n"), options);
  }
}

/** A dataset id that does not match `^[a-z0-9][a-z0-9_.-]{0,127}$`. */
export class InvalidDatasetIdError extends TidemarkError {
  constructor(readonly datasetId: string) {
    super(
      `Dataset id ${JSON.stringify(datasetId)} is invalid: use 1–128 characters from a-z, 0-9, "_", "." and "-", starting with a letter or digit (e.g. "cb_series").`,
    );
  }
}

/** No definition with the requested id exists in the definitions directory. */
export class DefinitionNotFoundError extends TidemarkError {
  constructor(
    readonly datasetId: string,
    readonly dir: string,
    known: readonly string[],
  ) {
    const shown = known.slice(0, 10).map((k) => `"${k}"`).join(", ");
    const more = known.length > 10 ? ` and ${known.length - 10} more` : "";
    super(
      `No dataset definition with id "${datasetId}" in ${dir} (found ${known.length === 0 ? "none" : shown + more}); add a .yaml file for it or set TIDEMARK_DATASETS to the right directory.`,
    );
  }
}
