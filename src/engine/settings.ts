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
 * the Temporal worker, DuckDB loaded) holds about 280 MB, and while DuckDB sorts or stages 10M rows
 * the worker's RSS runs 300–600 MB past its limit (allocations outside the buffer pool, and memory a
 * finished query freed that the allocator has not returned). Measured (bench, warm-ups included,
 * load average 2–9): P4 peaks at 1.40–1.61 GB, P7 at 1.56–1.70 GB, P4's 10M-row base build (an
 * initial load) at up to 1.81 GB: not yet within the budget. At 768MB P4's projections run out of
 * memory, and its base build still peaked at 1.57 GB.
 */
export const DEFAULT_ENGINE_MEMORY = "1GB";

/** An engine setting in the worker's environment is malformed (retried: fixing the worker's environment fixes the run). */
export class EngineSettingsError extends TidemarkError {
  override readonly retryable = true;
}

const SIZE_RE = /^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;

/**
 * Engine settings from `TIDEMARK_ENGINE_MEMORY` (default `1GB`), `TIDEMARK_ENGINE_THREADS`
 * (default: the machine's cores) and `TIDEMARK_ENGINE_TEMP` (default: a `tidemark-engine`
 * directory under the OS temp directory).
 */
export function engineSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): EngineSettings {
  const memoryLimit = (env.TIDEMARK_ENGINE_MEMORY ?? DEFAULT_ENGINE_MEMORY).trim();
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
