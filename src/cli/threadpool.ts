/**
 * The libuv thread pool of a process that runs engine work. `@duckdb/node-api` runs each statement on
 * a thread of that pool until the statement ends, and file I/O and DNS lookups queue for the same
 * threads: at libuv's default of 4, two engine tasks of two connections each hold all of them, and
 * every workspace read, upload and host lookup of the worker waits for a statement to end (seconds,
 * for a sort of 10M rows).
 */

/**
 * Threads for a worker: up to 4 concurrent activities (the worker's default) × 2 connections of an
 * engine task, plus libuv's own 4 for I/O, with room to spare; idle threads cost only their stacks.
 */
export const ENGINE_THREADPOOL_SIZE = 16;

/** The commands that run activities, and so engine statements, in their own process. */
const ENGINE_COMMANDS: ReadonlySet<string> = new Set(["worker", "dev", "demo"]);

/**
 * Sets `UV_THREADPOOL_SIZE` for `command` when it runs engine work and the environment does not set
 * it already. Call it before anything asynchronous: libuv sizes its pool on first use. Returns the
 * size in effect (undefined: libuv's default).
 */
export function sizeThreadPool(command: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (command !== undefined && ENGINE_COMMANDS.has(command) && !env.UV_THREADPOOL_SIZE) env.UV_THREADPOOL_SIZE = String(ENGINE_THREADPOOL_SIZE);
  return env.UV_THREADPOOL_SIZE;
}
