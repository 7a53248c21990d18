import { spawn } from "node:child_process";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { IngestResult } from "../../src/contracts.js";
import { ingestWorkflowId } from "../../src/one-writer.js";
import { runTiming } from "./history.js";
import type { BenchStack } from "./stack.js";

const BIN = join(__dirname, "..", "..", "..", "bin", "tidemark.js");

/** One `tidemark ingest … --wait --json` as a user runs it. */
export interface CliRun {
  /** spawn → exit. */
  ms: number;
  /** WorkflowExecutionStarted → Completed, from the history. */
  workflowMs: number;
  /** `tidemark ingest --help` spawn → exit: Node start plus loading the modules `tidemark ingest` loads, no Temporal connection. */
  bootMs: number;
  /** The same with `TIDEMARK_COMPILE_CACHE=off`, just before: the baseline of the CLI's compile cache. */
  bootNoCacheMs: number;
  status: string;
}

async function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; code: number | null; out: string; err: string }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { ms: Math.round(performance.now() - t0), code, out, err };
}

/** `tidemark ingest <dataset> --source <uri> --wait --json` against the bench's server, timed spawn → exit. */
export async function cliIngest(stack: BenchStack, dataset: string, uri: string): Promise<CliRun> {
  const env = { ...process.env, TEMPORAL_ADDRESS: stack.server.address, TEMPORAL_NAMESPACE: stack.server.namespace, TIDEMARK_TASK_QUEUE: stack.server.taskQueue, TIDEMARK_DATASETS: stack.datasetsDir };
  const bootNoCache = await runNode([BIN, "ingest", "--help"], { ...env, TIDEMARK_COMPILE_CACHE: "off" });
  const boot = await runNode([BIN, "ingest", "--help"], env);
  const { ms, code, out, err } = await runNode([BIN, "ingest", dataset, "--source", uri, "--wait", "--json"], env);
  if (code !== 0) throw new Error(`tidemark ingest ${dataset} --source ${uri} exited ${code}: ${err}${out}`);
  const result = JSON.parse(out) as IngestResult;
  const timing = await runTiming(stack.client.workflow.getHandle(ingestWorkflowId(dataset), result.runId));
  return { ms, workflowMs: timing.workflowMs, bootMs: boot.ms, bootNoCacheMs: bootNoCache.ms, status: result.status };
}
