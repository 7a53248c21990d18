/** Errors raised while reading a source file. */
import { TidemarkError } from "../errors.js";

/**
 * The source bytes cannot be read as the declared format (malformed CSV, invalid
 * UTF-8, an XLSX that is not a zip, an empty file…). Permanent: retrying reads the
 * same bytes. `row` is the 1-based source row (CSV line, sheet row, NDJSON line,
 * JSON record) when one is known.
 */
export class SourceFormatError extends TidemarkError {
  constructor(
    message: string,
    readonly row?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
