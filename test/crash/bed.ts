import { seriesDefinitionYaml } from "../support/definitions";
import type { S3Client } from "@aws-sdk/client-s3";
import { Client, Connection, type WorkflowHandle } from "@temporalio/client";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GcResult, VerifyResult } from "../../src/maintenance";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import { S3ObjectStore } from "../../src/store/s3";
import type { ObjectStore } from "../../src/store/types";
import { CrashWorkers, type CrashStoreSpec, type CrashWorker, type KillPlan } from "../support/crash-workers";
import { startHttpServer, type Received } from "../support/http";
import { makeS3Client, services } from "../support/services";
import { uniqueTaskQueue } from "../support/temporal";
import { toCsv, type SeriesRow } from "../workflows/ingest-fixtures";

/** A dataset whose worker processes can be killed, with its store, a webhook and a client. */
export interface CrashBed {
  dataset: string;
  taskQueue: string;
  /** The store as the test reads it (same place as the workers' store, separate client). */
  store: ObjectStore;
  /** Local directory of an fs store (hidden temp and lock files are checked there). */
  storeDir?: string;
  /** Bucket and key prefix of an S3 store (incomplete multipart uploads are checked there). */
  s3?: { client: S3Client; bucket: string; prefix: string };
  client: Client;
  workers: CrashWorkers;
  /** Requests the dataset's webhook received. */
  notified: Received[];
  writeSource(rows: SeriesRow[]): void;
  /** Starts a polling worker with `plan`, then the ingest; the worker is returned for {@link driveWithKills}. */
  startIngest(plan: KillPlan): Promise<{ handle: WorkflowHandle; worker: CrashWorker }>;
  verify(): Promise<VerifyResult>;
  gc(): Promise<GcResult>;
  close(): Promise<void>;
}

/** Workflow task timeout of crash runs: a worker killed inside a workflow task (or a local activity: resolveDefinition, readBase, deleteRunScratch) costs this long. */
const WORKFLOW_TASK_TIMEOUT = "5s";

/** Sets up a {@link CrashBed} on a fresh fs directory or S3 prefix (MinIO), with a snapshot dataset that notifies a local webhook. */
export async function crashBed(
  label: string,
  backend: "fs" | "s3",
  options: { notify?: boolean; address?: string; namespace?: string; bundlePath?: string; multipartThreshold?: number } = {},
): Promise<CrashBed> {
  const svc = services();
  const dataset = `${label}_${Date.now().toString(36)}`;
  const dir = mkdtempSync(join(tmpdir(), "tidemark-crash-"));
  const datasetsDir = join(dir, "datasets");
  mkdirSync(datasetsDir);
  const sourcePath = join(dir, "series.csv");
  const webhook = await startHttpServer((_req, res) => {
    res.end("ok");
  });
  writeFileSync(
    join(datasetsDir, `${dataset}.yaml`),
    seriesDefinitionYaml({ id: dataset, uri: `file://${sourcePath}`, mode: "snapshot", notifyUrl: options.notify === false ? undefined : `${webhook.url}/hook` }),
  );
  let storeSpec: CrashStoreSpec;
  let store: ObjectStore;
  let storeDir: string | undefined;
  let s3Client: S3Client | undefined;
  if (backend === "fs") {
    storeDir = join(dir, "store");
    mkdirSync(storeDir);
    storeSpec = { kind: "fs", dir: storeDir };
    store = new FsObjectStore(storeDir);
  } else {
    const prefix = `crash-${label}-${Date.now().toString(36)}`;
    storeSpec = { kind: "s3", ...svc.s3, prefix, multipartThreshold: options.multipartThreshold };
    s3Client = makeS3Client();
    store = new S3ObjectStore({ client: s3Client, bucket: svc.s3.bucket, prefix });
  }
  const address = options.address ?? svc.temporal.address;
  const namespace = options.namespace ?? svc.temporal.namespace;
  const taskQueue = uniqueTaskQueue(`crash-${label}`);
  const workers = new CrashWorkers({ address, namespace, taskQueue, bundlePath: options.bundlePath ?? svc.workflowBundlePath, datasetsDir, store: storeSpec });
  const client = new Client({ connection: await Connection.connect({ address }), namespace });
  let runs = 0;
  return {
    dataset, taskQueue, store, storeDir, client, workers,
    s3: s3Client && storeSpec.kind === "s3" ? { client: s3Client, bucket: storeSpec.bucket, prefix: `${storeSpec.prefix}/` } : undefined,
    notified: webhook.received,
    writeSource: (rows) => writeFileSync(sourcePath, toCsv(rows)),
    async startIngest(plan) {
      await workers.stopPolling();
      const worker = await workers.next(plan);
      const handle = await client.workflow.start("ingestDataset", {
        workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }], workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
      });
      return { handle, worker };
    },
    verify: () => client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${dataset}-${++runs}`, taskQueue, args: [{ dataset }] }) as Promise<VerifyResult>,
    gc: () => client.workflow.execute("collectGarbage", { workflowId: `tidemark/gc/${dataset}-${++runs}`, taskQueue, args: [{ dataset, olderThan: 0 }] }) as Promise<GcResult>,
    async close() {
      await workers.close();
      await client.connection.close();
      await webhook.close();
      s3Client?.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
