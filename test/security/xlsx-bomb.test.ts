import type { Client } from "@temporalio/client";
import { temporal } from "@temporalio/proto";
import { mkdtempSync, readdirSync, rmSync, watch, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestWorkflowId } from "../../src/one-writer";
import { paddedSheetPart, seriesRows, sheetXml, workbookParts, zipOf } from "../formats/xlsx-fixtures";
import { seriesDefinitionYaml } from "../support/definitions";
import { testClient } from "../support/temporal";
import { statusKb } from "./harness/rss";
import { SecureStack } from "./harness/stack";

const MiB = 1024 * 1024;
const LIMIT = 16 * MiB;
/** What the bombs' sheets really inflate to: sixteen times the limit. */
const INFLATED = 16 * LIMIT;

/** The retry state of each failed activity of the dataset's last run. */
async function failedActivities(client: Client, dataset: string): Promise<string[]> {
  const history = await client.workflow.getHandle(ingestWorkflowId(dataset)).fetchHistory();
  const Retry = temporal.api.enums.v1.RetryState;
  return (history.events ?? []).filter((e) => e.activityTaskFailedEventAttributes).map((e) => Retry[e.activityTaskFailedEventAttributes!.retryState!]);
}

describe("XLSX zip bombs next to a normal XLSX ingest on the same worker", () => {
  const workerTmp = mkdtempSync(join(tmpdir(), "tm-xlsx-worker-tmp-"));
  const stack = new SecureStack({ TIDEMARK_MAX_DECOMPRESSED_BYTES: String(LIMIT), TMPDIR: workerTmp });
  let client: Client;
  const sizes: Record<string, number> = {};

  beforeAll(async () => {
    const files: Record<string, Buffer> = {
      normal: zipOf(workbookParts(sheetXml(seriesRows(6)))),
      warm: zipOf(workbookParts(sheetXml(seriesRows(3)))),
      bomb: zipOf([...workbookParts(sheetXml([])).slice(0, -1), await paddedSheetPart(seriesRows(1), INFLATED)]),
      liar: zipOf([...workbookParts(sheetXml([])).slice(0, -1), await paddedSheetPart(seriesRows(1), INFLATED, 4096)]),
    };
    for (const [id, bytes] of Object.entries(files)) {
      sizes[id] = bytes.length;
      const path = join(stack.datasetsDir, `${id}.xlsx`);
      writeFileSync(path, bytes);
      writeFileSync(join(stack.datasetsDir, `${id}.yaml`), seriesDefinitionYaml({ id, uri: pathToFileURL(path).href, mode: "snapshot" }).replace("format: csv", "format: xlsx"));
    }
    await stack.start();
    client = await testClient();
  }, 180_000);

  afterAll(async () => {
    await client?.connection.close();
    await stack.stop();
    rmSync(workerTmp, { recursive: true, force: true });
  });

  it("refuses both bombs, publishes the normal one, removes every spooled copy, and the worker's peak RSS grows by less than half of what one bomb inflates to", async () => {
    expect(Math.max(sizes.bomb, sizes.liar)).toBeLessThan(MiB);
    // One ordinary ingest first, so the worker has loaded its data engine before its memory is measured.
    expect((await stack.cli(["ingest", "warm", "--wait"])).code).toBe(0);
    writeFileSync(`/proc/${stack.pid}/clear_refs`, "5");
    const before = statusKb(stack.pid, "VmRSS");
    const spooled = new Set<string>();
    const watcher = watch(workerTmp, (_event, name) => name?.startsWith("tidemark-xlsx-") && spooled.add(name));
    const [bomb, liar, normal] = await Promise.all([stack.cli(["ingest", "bomb", "--wait"]), stack.cli(["ingest", "liar", "--wait"]), stack.cli(["ingest", "normal", "--wait", "--json"])]);
    const peak = statusKb(stack.pid, "VmHWM");
    watcher.close();
    console.log(`workbooks spooled under the worker's TMPDIR: ${spooled.size}; worker RSS before ${Math.round(before / 1024)} MiB, peak during the three ingests ${Math.round(peak / 1024)} MiB; bombs of ${sizes.bomb} and ${sizes.liar} bytes inflate to ${INFLATED / MiB} MiB`);

    expect(normal.code, normal.stderr).toBe(0);
    expect(JSON.parse(normal.stdout)).toMatchObject({ status: "published", counts: { rowsTotal: 6 } });
    expect(bomb.code).toBe(1);
    const declared = workbookParts(sheetXml([])).slice(0, -1).reduce((sum, p) => sum + p.data.length, 0) + INFLATED + sheetXml(seriesRows(1)).length;
    expect(bomb.stderr.trim().split("\n").pop()).toBe(
      `tidemark: Ingest of bomb failed: bomb.xlsx decompresses to ${declared.toLocaleString("en-US")} bytes of workbook XML (at most 16,777,216), over the limit set by TIDEMARK_MAX_DECOMPRESSED_BYTES; shrink the source or raise TIDEMARK_MAX_DECOMPRESSED_BYTES on the worker.`,
    );
    expect(liar.code).toBe(1);
    expect(liar.stderr.trim().split("\n").pop()).toBe(
      'tidemark: Ingest of liar failed: liar.xlsx is a damaged or forged zip: its part "xl/worksheets/sheet1.xml" inflates to more than the 4,096 bytes its zip directory declares; re-export it from Excel as .xlsx.',
    );
    expect(await failedActivities(client, "bomb")).toEqual(["RETRY_STATE_NON_RETRYABLE_FAILURE"]);
    expect(await failedActivities(client, "liar")).toEqual(["RETRY_STATE_NON_RETRYABLE_FAILURE"]);
    expect(Object.keys(stack.storeState()).filter((k) => k.endsWith("current/manifest.json")).sort()).toEqual(["datasets/normal/current/manifest.json", "datasets/warm/current/manifest.json"]);
    expect(peak - before).toBeLessThan(INFLATED / 1024 / 2);
    expect(spooled.size).toBeGreaterThan(0);
    expect(readdirSync(workerTmp).filter((n) => n.startsWith("tidemark-xlsx-"))).toEqual([]);
  });
});
