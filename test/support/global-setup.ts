import { bundleWorkflowCode } from "@temporalio/worker";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startMinio, type MinioServer } from "../../src/devstack/minio";
import { startTemporalDevServer, type TemporalDevServer } from "../../src/devstack/temporal-server";
import { ensureTool } from "../../src/devstack/tools";
import type { TestServices } from "./services-types";
import { testSourceAllow } from "./source-allow";

const TEST_BUCKET = "tidemark-test";

/** A second namespace, for a Tidemark deployment that acts as a writer outside ours. */
export const OUTSIDE_NAMESPACE = "tidemark-outside";

const quietLogger = { trace() {}, debug() {}, info() {}, log() {}, warn: console.warn, error: console.error };

/**
 * Starts the real Temporal dev server and MinIO for the whole run. Either failing to start fails the
 * run with the reason; nothing is skipped.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => console.log(`[services] ${line}`);
  process.env.TIDEMARK_SOURCE_ALLOW ??= testSourceAllow();
  process.env.TIDEMARK_WEBHOOK_ALLOW ??= "http://127.0.0.1";
  const [temporalBinary, minioBinary] = await Promise.all([ensureTool("temporal", { log }), ensureTool("minio", { log })]);
  const dataDir = mkdtempSync(join(tmpdir(), "tidemark-minio-"));
  let temporal: TemporalDevServer | undefined;
  let minio: MinioServer | undefined;
  try {
    [temporal, minio] = await Promise.all([
      startTemporalDevServer({ binary: temporalBinary, extraNamespaces: [OUTSIDE_NAMESPACE], uiPort: process.env.TIDEMARK_TEST_UI === "1" ? undefined : false }),
      startMinio({ binary: minioBinary, dataDir, buckets: [TEST_BUCKET] }),
    ]);
  } catch (err) {
    await Promise.all([temporal?.stop(), minio?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`Test services could not start, so the suite cannot run: ${(err as Error).message}\nInstall them with "npx tidemark tools install".`);
  }
  const bundleStarted = Date.now();
  const { code } = await bundleWorkflowCode({ workflowsPath: join(__dirname, "..", "..", "workflows", "index.ts"), logger: quietLogger });
  const workflowBundlePath = join(dataDir, "..", `tidemark-workflows-${process.pid}.js`);
  writeFileSync(workflowBundlePath, code);
  log(`workflow bundle built in ${Date.now() - bundleStarted} ms`);
  log(`Temporal dev server ${temporal.address}, MinIO ${minio.endpoint} bucket ${TEST_BUCKET}`);
  const services: TestServices = {
    s3: { endpoint: minio.endpoint, bucket: TEST_BUCKET, region: minio.region, accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey },
    temporal: { address: temporal.address, namespace: temporal.namespace, uiUrl: temporal.uiUrl, binary: temporalBinary },
    minioBinary,
    workflowBundlePath,
  };
  project.provide("services", services);
  return async () => {
    await Promise.all([temporal?.stop(), minio?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(workflowBundlePath, { force: true });
  };
}
