import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { TidemarkError } from "../errors";

/** How the DuckDB engine may use the worker's machine. */
export interface EngineSettings {
  /** DuckDB `memory_limit`, e.g. `1GB`; beyond it, operators spill to `tempDirectory`. */
  memoryLimit: string;
  /** DuckDB worker threads. */
  threads: number;
  /** Directory DuckDB spills to and Tidemark stages local files in. */
  tempDirectory: string;
}

/**
 * Default `memory_limit`, from a worker budget of 1.5 GB of RSS: an idle `tidemark worker` (Node,
 * the Temporal worker, DuckDB loaded) holds about 280 MB, and while DuckDB sorts 10M rows (the
 * changes of a first version, the delta's index) the worker's RSS runs 300–800 MB past its limit
 * (allocations outside the buffer pool, and memory a finished query freed that the allocator has not
 * returned yet), and that overshoot varies from run to run. Measured (bench trials of 3 runs after a
 * warm-up, load average about 2): P7 (10M-row initial load) peaked at 1.22–1.60 GB at 768MB,
 * 1.19–1.31 GB at 640MB and 1.06–1.18 GB at 512MB, in 27–31 s at each limit; P4 (1M-row upsert
 * against 10M keys) took 7.5–7.8 s and peaked under 1 GB at 640MB and 512MB alike, its 10M-row base
 * build at 1.32 and 1.18 GB. A smaller limit made no step slower at these sizes: beyond it DuckDB
 * spills to `tempDirectory`.
 */
export const DEFAULT_ENGINE_MEMORY = "512MB";

/** An engine setting in the worker's environment is malformed (retried: fixing the worker's environment fixes the run). */
export class EngineSettingsError extends TidemarkError {
  override readonly retryable = true;
}

const SIZE_RE = /^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;

/**
 * Engine settings from `TIDEMARK_ENGINE_MEMORY` (default `512MB`), `TIDEMARK_ENGINE_THREADS`
 * (default: the machine's cores) and `TIDEMARK_ENGINE_TEMP` (default: a `tidemark-engine`
 * directory under the OS temp directory).
 */
export function engineSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): EngineSettings {
  const memoryLimit = env.TIDEMARK_ENGINE_MEMORY?.trim() || DEFAULT_ENGINE_MEMORY;
  if (!SIZE_RE.test(memoryLimit)) {
    throw new EngineSettingsError(`TIDEMARK_ENGINE_MEMORY=${JSON.stringify(memoryLimit)} is not a size; set it like "1GB" or "512MiB".`);
  }
  const rawThreads = env.TIDEMARK_ENGINE_THREADS?.trim();
  const threads = rawThreads ? Number(rawThreads) : availableParallelism();
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
    throw new EngineSettingsError(`TIDEMARK_ENGINE_THREADS=${JSON.stringify(rawThreads)} is not a thread count; set a whole number from 1 to 1024.`);
  }
  const tempDirectory = env.TIDEMARK_ENGINE_TEMP?.trim() || join(tmpdir(), "tidemark-engine");
  return { memoryLimit, threads, tempDirectory };
}
