import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestWorkflowId } from "../../src/one-writer";
import { parsePointer } from "../../src/manifest/schema";
import { startCliBed, type CliBed } from "./bed";
import { runCli } from "./helpers";

const DS = `unpub_${Date.now().toString(36)}`;
const root = `datasets/${DS}/`;

/** Where a run's publish waits at its CAS (its manifest already written) until the test lets it fail. */
let held: { reached: () => void; release: () => void; released: Promise<void> } | undefined;
let bed: CliBed;

async function pointerVersion(): Promise<string> {
  return parsePointer((await bed.store.get(`${root}current/manifest.json`)).body).current_version;
}

async function manifestVersions(): Promise<string[]> {
  const out: string[] = [];
  for await (const o of bed.store.list(`${root}events/`)) if (o.key.endsWith("/manifest.json")) out.push(o.key.slice(`${root}events/`.length, -"/manifest.json".length));
  return out.sort();
}

beforeAll(async () => {
  bed = await startCliBed("read-unpublished", DS, async (point) => {
    if (point !== "publish:before-cas" || !held) return;
    held.reached();
    await held.released;
    throw new Error("injected: the worker died at the CAS");
  });
});

afterAll(async () => {
  held?.release();
  await bed?.stop();
});

describe("read and files of a version that was never published", () => {
  it("refuse a manifest a terminated run left behind, while older published versions stay readable", async () => {
    const published = await pointerVersion();
    writeFileSync(bed.source, "series_id,obs_date,value\nA,2025-01-01,99\nA,2025-02-01,2\nB,2025-01-01,3\n");
    let reached!: () => void;
    let release!: () => void;
    const atCas = new Promise<void>((r) => (reached = r));
    held = { reached, release: () => release(), released: new Promise<void>((r) => (release = r)) };
    const handle = await bed.client.workflow.start("ingestDataset", { workflowId: ingestWorkflowId(DS), taskQueue: bed.env.TIDEMARK_TASK_QUEUE, args: [{ dataset: DS }] });
    await atCas;
    await handle.terminate("operator gave up on a stuck run");
    held.release();
    held = undefined;
    const orphan = (await manifestVersions()).find((v) => v !== published);
    expect(orphan, "the held run wrote its manifest before the CAS").toBeDefined();
    expect(await pointerVersion()).toBe(published);

    const read = await runCli(["read", DS, "--version", orphan!, "--format", "csv"], bed.env);
    expect(read.stdout).not.toContain("99");
    expect(read.code).toBe(1);
    expect(read.stderr).toContain(`${orphan} is not a published version of ${DS}`);
    const files = await runCli(["files", DS, "--version", orphan!], bed.env);
    expect(files.code).toBe(1);
    expect(files.stderr).toContain(`${orphan} is not a published version of ${DS}`);

    const next = await runCli(["ingest", DS, "--wait", "--json"], bed.env);
    expect(next.code, next.stderr).toBe(0);
    expect(await pointerVersion()).not.toBe(published);
    const old = await runCli(["read", DS, "--version", published, "--format", "csv"], bed.env);
    expect(old.code, old.stderr).toBe(0);
    expect(old.stdout).toContain("A,2025-01-01,1");
    expect((await runCli(["read", DS, "--version", orphan!], bed.env)).code).toBe(1);
  });
});
