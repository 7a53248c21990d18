/**
 * A real Tidemark worker process for crash tests (started with child_process.fork by
 * test/support/crash-workers.ts). It loads the compiled code from dist/ (run `npm run build`
 * first), builds its store from TIDEMARK_CRASH_WORKER (JSON, see CrashWorkerConfig in
 * crash-workers.ts), connects and creates the worker, sends {type:"ready"}, and starts polling only
 * when the parent sends {type:"run", plan}. The plan says where the process SIGKILLs itself:
 *   {kind:"point", point:"writeEvents:end"}              at an activity fault point
 *   {kind:"write", step:"consolidate", n:2, phase:"done"} at the 2nd store write of an activity
 *   {kind:"timer", ms:1500}                              that long after its first activity started
 *   {kind:"hold", point:"consolidate:start", ms:5000}    never, but it stalls that long at the point once
 *   null                                                 never; {type:"stop"} shuts it down cleanly
 */
import { writeSync } from "node:fs";
import { createRequire } from "node:module";
import { faultStore } from "./fault-store.mjs";

const require = createRequire(import.meta.url);
const { S3Client } = require("@aws-sdk/client-s3");
const { Context } = require("@temporalio/activity");
const { NativeConnection, Runtime } = require("@temporalio/worker");
const { createTidemarkWorker } = require("../../dist/src/worker/worker.js");
const { FsObjectStore } = require("../../dist/src/store/fs.js");
const { S3ObjectStore } = require("../../dist/src/store/s3.js");

const config = JSON.parse(process.env.TIDEMARK_CRASH_WORKER ?? "null");
if (!config) throw new Error("crash-worker: TIDEMARK_CRASH_WORKER (JSON config) is not set.");

let plan = null;
let currentStep;
const writesByStep = new Map();
const nthInStep = new Map();

function die(where) {
  writeSync(2, `crash-worker ${process.pid}: SIGKILL ${where}\n`);
  process.kill(process.pid, "SIGKILL");
}

function activityType() {
  try {
    return Context.current().info.activityType;
  } catch {
    return currentStep;
  }
}

let held = false;

let timerArmed = false;

async function onFaultPoint(point) {
  if (point.endsWith(":start")) currentStep = point.slice(0, -":start".length);
  if (plan?.kind === "timer" && !timerArmed) {
    timerArmed = true;
    setTimeout(() => die(`after ${plan.ms} ms ${currentStep ? `in ${currentStep}` : "between activities"}`), plan.ms);
  }
  if (point.endsWith(":end")) currentStep = undefined;
  if (plan?.kind === "point" && plan.point === point) die(`at ${point}`);
  if (plan?.kind === "hold" && plan.point === point && !held) {
    held = true;
    await new Promise((resolve) => setTimeout(resolve, plan.ms));
  }
}

function onWrite({ seq, op, key, phase }) {
  if (plan?.kind !== "write") return;
  const step = activityType();
  if (step !== plan.step) return;
  if (phase === "started") {
    writesByStep.set(step, (writesByStep.get(step) ?? 0) + 1);
    nthInStep.set(seq, writesByStep.get(step));
  }
  if (nthInStep.get(seq) === plan.n && phase === plan.phase) die(`in ${step} at write ${plan.n} (${op} ${key}, ${phase})`);
}

function openStore(spec) {
  if (spec.kind === "fs") return new FsObjectStore(spec.dir);
  const client = new S3Client({
    endpoint: spec.endpoint,
    region: spec.region,
    forcePathStyle: true,
    credentials: { accessKeyId: spec.accessKeyId, secretAccessKey: spec.secretAccessKey },
  });
  return new S3ObjectStore({ client, bucket: spec.bucket, prefix: spec.prefix });
}

const quiet = () => {};
Runtime.install({ logger: { trace: quiet, debug: quiet, info: quiet, log: quiet, warn: quiet, error: (m) => writeSync(2, `crash-worker ${process.pid}: ${m}\n`) } });
const connection = await NativeConnection.connect({ address: config.address });
const worker = await createTidemarkWorker({
  connection,
  namespace: config.namespace,
  taskQueue: config.taskQueue,
  datasetsDir: config.datasetsDir,
  store: faultStore(openStore(config.store), onWrite),
  workflowBundle: { codePath: config.bundlePath },
  faults: onFaultPoint,
  maxCachedWorkflows: 0,
});

process.on("message", async (message) => {
  if (message?.type === "run") {
    plan = message.plan ?? null;
    let code = 0;
    try {
      await worker.run();
    } catch (err) {
      writeSync(2, `crash-worker ${process.pid}: worker failed: ${err?.stack ?? err}\n`);
      code = 1;
    }
    await connection.close();
    process.exit(code);
  } else if (message?.type === "stop") {
    if (worker.getState() === "INITIALIZED") {
      await connection.close();
      process.exit(0);
    }
    if (worker.getState() === "RUNNING") worker.shutdown();
  }
});
process.send({ type: "ready" });
