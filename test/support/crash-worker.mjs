/**
 * A real Tidemark worker process for crash tests (started with child_process.fork by
 * test/support/crash-workers.ts). It loads the compiled code from dist/ (run `npm run build`
 * first), builds its store from TIDEMARK_CRASH_WORKER (JSON, see CrashWorkerConfig in
 * crash-workers.ts), connects and creates the worker, sends {type:"ready"}, and starts polling only
 * when the parent sends {type:"run", plan}. The plan says where the process SIGKILLs itself:
 *   {kind:"point", point:"writeEvents:end"}              at an activity fault point
 *   {kind:"write", step:"consolidate", n:2, phase:"done"} at a phase of the 2nd store write of an activity
 *                                                        (a targeted write that fails, e.g. while the store
 *                                                        is down, passes the target to the next one started)
 *   {kind:"mid-write", step:"consolidate", n:2}          inside the 2nd store write of an activity, once the
 *                                                        store has started it (see midWrite below)
 *   {kind:"timer", ms:1500}                              that long after its first activity started
 *   {kind:"hold", point:"consolidate:start", ms:5000}    never, but it stalls that long at the point once
 *   {kind:"hold", point:"consolidate:start"}             never, but it stalls at the point once, sends
 *                                                        {type:"held", point} and waits for {type:"release"}
 *   null                                                 never; {type:"stop"} shuts it down cleanly
 * Before a SIGKILL it writes one stderr line `SIGKILL <json>` (see KillRecord in crash-workers.ts):
 * where it died, the activity running, the store writes in flight, and what the kill should have
 * left in the store.
 */
import fs, { promises as fsp, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
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
/** Store writes started and not yet done or failed: seq -> key. */
const inFlight = new Map();

function activityType() {
  try {
    return Context.current().info.activityType;
  } catch {
    return currentStep;
  }
}

function die(where, left = { kind: "none" }) {
  const record = { where, activity: activityType() ?? null, inFlight: [...inFlight.values()], left };
  writeSync(2, `crash-worker ${process.pid}: SIGKILL ${JSON.stringify(record)}\n`);
  process.kill(process.pid, "SIGKILL");
}

let held = false;
let timerArmed = false;
let releaseHold;
process.on("message", (message) => {
  if (message?.type === "release") releaseHold?.();
});

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
    if (plan.ms !== undefined) return new Promise((resolve) => setTimeout(resolve, plan.ms));
    const released = new Promise((resolve) => (releaseHold = resolve));
    process.send({ type: "held", point });
    await released;
  }
}

/**
 * The write a mid-write plan targets, once the store has started it. Where the kill lands depends
 * on the write and the backend, so that it always leaves something only a finished write would
 * have cleaned up or a later one overwrites:
 * - putStream above the S3 multipart threshold: when the store asks for more body after it took
 *   `multipartThreshold` bytes (the multipart upload is created, not completed);
 * - putStream on fs: when the store asks for the second chunk (the first is in the hidden temp file);
 * - put, putFile (a local file above 8 MiB) and moveFile (a file the engine wrote, linked as the temp file) on fs: when the store fsyncs the hidden temp file holding the object (before the link or rename);
 * - put on S3: once MinIO answered the PutObject, before the store returns (applied, never acknowledged);
 * - delete: as it starts.
 */
let target;

function onWrite({ seq, op, key, phase, bytes }) {
  if (phase === "started") inFlight.set(seq, key);
  if (phase === "done" || phase === "failed") inFlight.delete(seq);
  if (plan?.kind !== "write" && plan?.kind !== "mid-write") return;
  const step = activityType();
  if (step !== plan.step) return;
  if (phase === "started") {
    writesByStep.set(step, (writesByStep.get(step) ?? 0) + 1);
    nthInStep.set(seq, writesByStep.get(step));
  }
  if (nthInStep.get(seq) !== plan.n) return;
  if (phase === "failed") {
    writesByStep.set(step, plan.n - 1);
    writeSync(2, `crash-worker ${process.pid}: ${step} write ${plan.n} (${op} ${key}) failed; the plan targets the next write of ${step} instead\n`);
    return;
  }
  if (plan.kind === "write") {
    if (phase === plan.phase) die(`in ${step} at write ${plan.n} (${op} ${key}, ${phase})`);
    return;
  }
  const at = `inside ${step} write ${plan.n} (${op} ${key})`;
  if (phase === "started" && op === "delete") die(`${at} as it started`);
  if (phase === "started" && (op === "put" || op === "putFile" || op === "moveFile")) target = { seq, key, at };
  if (phase === "streaming" && op === "putStream") {
    if (config.store.kind === "fs") die(`${at} after ${bytes} bytes went to its temp file`, { kind: "temp", dir: dirname(join(config.store.dir, key)) });
    else if (bytes > config.store.multipartThreshold) die(`${at} after ${bytes} bytes (multipart upload started)`, { kind: "upload", key });
  }
  if (phase === "done" && op !== "delete") die(`after ${step} write ${plan.n} (${op} ${key}) finished: the mid-write kill never fired`, { kind: "missed" });
}

/** fs, a put of a buffer (src/store/fs-create.ts): its temp file is opened synchronously and fsynced by descriptor; the kill lands at that fsync, before the link. */
const openSync = fs.openSync;
const tempFds = new Map();
fs.openSync = (path, ...rest) => {
  const fd = openSync(path, ...rest);
  const t = target;
  if (config.store.kind === "fs" && t && basename(String(path)).startsWith(".tmp-") && dirname(String(path)) === dirname(join(config.store.dir, t.key))) tempFds.set(fd, { t, path: String(path) });
  return fd;
};
const fsyncFd = fs.fsync;
fs.fsync = (fd, ...rest) => {
  const hit = tempFds.get(fd);
  tempFds.delete(fd);
  if (hit && target === hit.t) die(`${hit.t.at} with its temp file written, before the link`, { kind: "temp", dir: dirname(hit.path), path: hit.path });
  return fsyncFd(fd, ...rest);
};

/** fs, a streamed put, a putFile or a moveFile: the temp file of the targeted put is fsynced — it holds the whole object and is not yet linked or renamed. */
const openFile = fsp.open;
fsp.open = async (path, ...rest) => {
  const fh = await openFile(path, ...rest);
  const t = target;
  if (config.store.kind === "fs" && t && basename(String(path)).startsWith(".tmp-") && dirname(String(path)) === dirname(join(config.store.dir, t.key))) {
    const sync = fh.sync.bind(fh);
    fh.sync = async () => {
      if (target === t) die(`${t.at} with its temp file written, before the rename`, { kind: "temp", dir: dirname(String(path)), path: String(path) });
      return sync();
    };
  }
  return fh;
};

function openStore(spec) {
  if (spec.kind === "fs") return new FsObjectStore(spec.dir);
  const client = new S3Client({
    endpoint: spec.endpoint,
    region: spec.region,
    forcePathStyle: true,
    credentials: { accessKeyId: spec.accessKeyId, secretAccessKey: spec.secretAccessKey },
  });
  const fullKey = (key) => `${spec.prefix.replace(/\/?$/, "/")}${key}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      const t = target;
      if (t && context.commandName === "PutObjectCommand" && args.input.Key === fullKey(t.key)) die(`${t.at} after MinIO applied it, before the answer reached the store`, { kind: "applied", key: t.key });
      return out;
    },
    { step: "deserialize", name: "crashAfterPut" },
  );
  return new S3ObjectStore({ client, bucket: spec.bucket, prefix: spec.prefix, multipartThreshold: spec.multipartThreshold });
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
