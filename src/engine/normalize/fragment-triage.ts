/**
 * Normalize of a compaction's fragments that sets aside the ones DuckDB cannot read (README "Push
 * intake"). The concatenated fragments are read once, as before; only when that read fails on its
 * data is each fragment of the run's plan read alone, so the fragments set aside depend only on
 * their bytes and every attempt of the run decides the same.
 */
import { appendFile, rm, writeFile } from "node:fs/promises";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { DatasetDefinition } from "../../definition/schema.js";
import { fragmentsToSetAside, isDataError, type SetAsideFragment } from "../../intake/set-aside.js";
import { normalizeFragments } from "./fragments.js";

/** Reads one inbox fragment's bytes by id. */
export type FragmentReader = (id: string) => Promise<Uint8Array>;

/** Input of {@link normalizeFragmentsSettingAside}. */
export interface FragmentsInput {
  /** The concatenated fragments as staged. */
  readonly sourcePath: string;
  readonly outPath: string;
  /** The run's plan: the fragments concatenated at `sourcePath`, in order. */
  readonly fragments: readonly string[];
  /** Reads a fragment of the plan again (failure path only). */
  readonly read: FragmentReader;
  /** Hears how many fragments were read alone so far. */
  readonly onProgress?: (checked: number) => void;
}

/** Rows normalized, and the fragments set aside (empty when the whole read succeeded). */
export interface FragmentsNormalized {
  rows: number;
  setAside: SetAsideFragment[];
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Writes the normalized Parquet of the plan's fragments. When DuckDB refuses the concatenation for
 * its data, the fragments that fail alone are set aside and the others are normalized together, in
 * plan order; any other failure, or one no single fragment explains, is thrown as it is.
 */
export async function normalizeFragmentsSettingAside(connection: DuckDBConnection, def: DatasetDefinition, input: FragmentsInput): Promise<FragmentsNormalized> {
  const { sourcePath, outPath, fragments } = input;
  try {
    return { rows: await normalizeFragments(connection, def, sourcePath, outPath), setAside: [] };
  } catch (err) {
    if (!isDataError(errorText(err))) throw err;
    const kept = `${sourcePath}.kept`;
    try {
      const setAside = fragmentsToSetAside(fragments, await keepReadable(connection, def, input, kept), def.schema.columns.map((c) => c.name));
      if (setAside.length === 0) throw err;
      await rm(outPath, { force: true });
      return { rows: await normalizeFragments(connection, def, kept, outPath), setAside };
    } finally {
      await rm(kept, { force: true });
    }
  }
}

/** Reads each fragment alone: appends the readable ones to `kept`, returns the error of every other one by id. */
async function keepReadable(connection: DuckDBConnection, def: DatasetDefinition, input: FragmentsInput, kept: string): Promise<Map<string, string>> {
  const one = `${input.sourcePath}.one`;
  const check = `${input.outPath}.one.parquet`;
  const failures = new Map<string, string>();
  await writeFile(kept, "");
  try {
    for (const [i, id] of input.fragments.entries()) {
      const body = await input.read(id);
      await writeFile(one, body);
      try {
        await normalizeFragments(connection, def, one, check);
        await appendFile(kept, body);
        if (body.length > 0 && body[body.length - 1] !== 10) await appendFile(kept, "\n");
      } catch (err) {
        if (!isDataError(errorText(err))) throw err;
        failures.set(id, errorText(err));
      }
      input.onProgress?.(i + 1);
    }
  } finally {
    await rm(one, { force: true });
    await rm(check, { force: true });
  }
  return failures;
}
