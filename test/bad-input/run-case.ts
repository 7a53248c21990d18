import { expect } from "vitest";
import type { ObjectStore } from "../../src/store/types";
import { type Bench, type WorkerName } from "./harness";

/** Node process warnings of the worker that shares this process with the in-process CLI (not CLI output). */
const IN_PROCESS_WORKER_WARNING = /^\(node:\d+\) \w*Warning: |^\(Use `node --trace-warnings/;

/** One row of the bad-input matrix. */
export interface BadInputCase {
  /** What is wrong, as the test title. */
  name: string;
  /** The dataset the case ingests. */
  dataset: string;
  /** The worker (and so the store and source access) that runs the case; default `fs`. */
  worker?: WorkerName;
  /** Writes the definition and sources; returns the `ingest` target (a dataset id or a definition file). */
  setup(bench: Bench): string | Promise<string>;
  /** When given, the case first publishes a good version, then calls this to make the input bad (incremental case). */
  spoil?(bench: Bench): void | Promise<void>;
  /** The exact last stderr line of the failing `tidemark ingest --wait`, without the "tidemark: " prefix. */
  expectedError: string | ((bench: Bench) => string);
  /** The CLI's exit code. */
  exit: number;
  /** Error type recorded in the workflow history, or null when the CLI refuses before starting a run. */
  type: string | null;
  /** Attempts of the failed activity: 1 for permanent errors, the configured budget for transient ones. */
  attempts?: number;
  /** The store in which the dataset's objects are checked, when not the worker's own (e.g. its bucket is missing). */
  witness?(bench: Bench): ObjectStore;
  /** Further assertions after the failed run. */
  after?(bench: Bench): void | Promise<void>;
}

/**
 * Runs one case end to end and asserts: the exact one-line error on stderr, the exit code, the
 * pointer and every object of the dataset as they were before the failing run, the error type
 * in the history and how many attempts the failed activity made.
 */
export async function runCase(bench: Bench, c: BadInputCase): Promise<void> {
  const worker = c.worker ?? "fs";
  const store = c.witness?.(bench) ?? bench.storeOf(worker);
  const target = await c.setup(bench);
  if (c.spoil) {
    const good = await bench.ingest(target, worker);
    expect(good.code, good.stderr).toBe(0);
    await c.spoil(bench);
  }
  const before = await bench.state(c.dataset, store);
  if (c.spoil) expect(before.pointer).not.toBeNull();
  else expect(before).toEqual({ pointer: null, keys: [] });

  const run = await bench.ingest(target, worker);

  const lines = run.stderr.split("\n").filter((l) => !IN_PROCESS_WORKER_WARNING.test(l));
  expect(lines.pop()).toBe("");
  expect(lines.pop()).toBe(`tidemark: ${typeof c.expectedError === "string" ? c.expectedError : c.expectedError(bench)}`);
  for (const progress of lines) expect(progress).toMatch(new RegExp(`^${c.dataset} \\S+ `));
  expect(run.code).toBe(c.exit);
  expect(run.stdout).toBe("");
  expect(await bench.state(c.dataset, store)).toEqual(before);
  if (c.type === null) {
    if (!c.spoil) expect(await bench.started(c.dataset)).toBe(false);
    await c.after?.(bench);
    return;
  }
  const failure = await bench.failure(c.dataset);
  expect(failure.type).toBe(c.type);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.attempts).toBe(c.attempts ?? 1);
  await c.after?.(bench);
}
