import { Client, Connection } from "@temporalio/client";
import { NativeConnection, Runtime, type Worker } from "@temporalio/worker";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { startTemporalDevServer, type TemporalDevServer } from "../../src/devstack/temporal-server";
import { ingestWorkflowId } from "../../src/one-writer";
import { ingestRunSummary } from "../../src/run-summary";
import { FsObjectStore } from "../../src/store/fs";
import { createTidemarkWorker } from "../../src/worker/worker";
import { services } from "../support/services";
import { monthlySeries, workspace } from "../workflows/ingest-fixtures";

const CHROMIUM = process.env.TIDEMARK_CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = join(__dirname, "..", "artifacts");
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** True for http(s)/ws URLs on a loopback host, and for data:/blob:/about: URLs. */
function isLoopback(url: string): boolean {
  const parsed = new URL(url);
  if (["data:", "blob:", "about:"].includes(parsed.protocol)) return true;
  return ["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname);
}

/** Waits until the visible text of the page and its frames (markdown renders in iframes) contains every one of `texts`. */
async function waitForTexts(page: Page, texts: string[], timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let body = "";
  while (Date.now() < deadline) {
    const frames = await Promise.all(page.frames().map((frame) => frame.innerText("body").catch(() => "")));
    body = frames.join("\n");
    if (texts.every((t) => body.includes(t))) return body;
    await page.waitForTimeout(250);
  }
  throw new Error(`The Temporal UI page never showed ${JSON.stringify(texts.filter((t) => !body.includes(t)))}; it showed:\n${body.slice(0, 3000)}`);
}

describe("Temporal Web UI shows an ingest run", () => {
  const dataset = `ui_${Date.now().toString(36)}`;
  const ws = workspace(dataset, "snapshot");
  const storeDir = mkdtempSync(join(tmpdir(), "tidemark-ui-"));
  const taskQueue = `tidemark-ui-${dataset}`;
  const blocked: string[] = [];
  let server: TemporalDevServer;
  let client: Client;
  let connection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  let browser: Browser;
  let result: IngestResult;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is missing at ${CHROMIUM}: install it with "apt-get install -y --no-install-recommends chromium" (as .ci/run does) or set TIDEMARK_CHROMIUM.`);
    }
    try {
      Runtime.install({ logger: { trace() {}, debug() {}, info() {}, log() {}, warn: console.warn, error: console.error } as never });
    } catch {
      /* a Runtime is already installed in this process */
    }
    server = await startTemporalDevServer({ binary: services().temporal.binary });
    expect(server.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    client = new Client({ connection: await Connection.connect({ address: server.address }), namespace: server.namespace });
    connection = await NativeConnection.connect({ address: server.address });
    worker = await createTidemarkWorker({
      connection,
      namespace: server.namespace,
      store: new FsObjectStore(storeDir),
      datasetsDir: ws.datasetsDir,
      taskQueue,
      client,
      workflowBundle: { codePath: services().workflowBundlePath },
    });
    running = worker.run();
    ws.writeSource(monthlySeries(["A", "B", "C"], "2024-01", 4, (s, m) => m + s.charCodeAt(0)));
    const handle = await client.workflow.start("ingestDataset", {
      workflowId: ingestWorkflowId(dataset),
      taskQueue,
      args: [{ dataset }],
      staticSummary: ingestRunSummary(dataset, { trigger: "UI test" }),
    });
    result = (await handle.result()) as IngestResult;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    if (worker?.getState() === "RUNNING") worker.shutdown();
    await running?.catch(() => {});
    await connection?.close();
    await client?.connection.close();
    await server?.stop();
    rmSync(storeDir, { recursive: true, force: true });
    rmSync(ws.dir, { recursive: true, force: true });
  });

  it("shows the dataset, the version, the run's memo and its activity summaries; no request leaves loopback", { timeout: 120_000 }, async () => {
    expect(result).toMatchObject({ status: "published", counts: { inserted: 12, updated: 0, deleted: 0, rowsTotal: 12 } });
    const page = await browser.newPage({ viewport: { width: 1600, height: 1400 } });
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (isLoopback(url)) return route.continue();
      blocked.push(url);
      return route.abort("blockedbyclient");
    });
    const url = `${server.uiUrl}/namespaces/${server.namespace}/workflows/${encodeURIComponent(result.workflowId)}/${result.runId}/history`;
    await page.goto(url, { waitUntil: "domcontentloaded" });
    const changes = "+12 ~0 -0";
    const history = await waitForTexts(page, [
      result.workflowId,
      "Completed",
      result.version,
      `prepare • fetch file://${ws.sourcePath} → normalize → delta`,
      `write • write events ${changes} and the projections of 4 months of ${dataset}`,
      `publish • publish ${result.version}: ${changes}, 12 rows`,
    ]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "temporal-ui-ingest.png"), fullPage: true });

    const tab = async (name: string, texts: string[]): Promise<string> => {
      await page.getByRole("link", { name, exact: true }).or(page.getByRole("tab", { name, exact: true })).first().click();
      const text = await waitForTexts(page, texts);
      await page.screenshot({ path: join(ARTIFACTS, `temporal-ui-${name.toLowerCase().replace(/\s+/g, "-")}.png`), fullPage: true });
      return text;
    };
    const metadata = await tab("User Metadata", [`ingest ${dataset} · UI test`, `published ${result.version}: ${changes}, 12 rows`]);
    const attributes = await tab("Search Attributes", ["TidemarkDataset", dataset, "TidemarkVersion", result.version]);
    const memo = await tab("Memo", ["status", "published", "version", result.version, "rowsTotal", "counts", "inserted"]);
    writeFileSync(join(ARTIFACTS, "temporal-ui-ingest.txt"), [history, metadata, attributes, memo, `blocked: ${JSON.stringify(blocked)}`].join("\n\n----\n\n"));
    expect(blocked).toEqual([]);
  });
});
