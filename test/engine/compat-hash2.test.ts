import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import type { VerifyResult } from "../../src/maintenance";
import { ingestWorkflowId } from "../../src/one-writer";
import { openFixtureStore, type FixtureStore } from "./fixture-store";

/**
 * The fixture store test/fixtures/stores/hash2-bool was written by commit ec16abb (`tidemark dev` and
 * `tidemark ingest flags --wait`), whose index files are `tidemark.hash/2` and which encoded a null
 * bool like false: dataset `flags`, snapshot mode, one version of the rows in {@link V1}. On top of
 * it, that release published nothing for a source whose only change was a flag from false to null.
 */
const DATASET = "flags";
const OLD_VERSION = "20261130T234232395Z-2e4352e3";

interface Row {
  id: string;
  day: string;
  flag: boolean | null;
  note: string;
}

/** The fixture's version, as the CSV its generator ingested. */
const V1: Row[] = [
  { id: "a", day: "2025-01-01", flag: true, note: "one" },
  { id: "a", day: "2025-02-01", flag: false, note: "two" },
  { id: "b", day: "2025-01-01", flag: null, note: "three" },
  { id: "b", day: "2025-02-01", flag: false, note: "four" },
  { id: "c", day: "2025-01-01", flag: null, note: "five" },
  { id: "c", day: "2025-02-01", flag: true, note: "six" },
];

const csv = (rows: Row[]) => `id,day,flag,note\n${rows.map((r) => `${r.id},${r.day},${r.flag ?? ""},${r.note}`).join("\n")}\n`;

let fx: FixtureStore;

beforeAll(async () => {
  fx = await openFixtureStore("hash2-bool", DATASET, [
    "schema:", "  columns:",
    "    - { name: id, type: string }", "    - { name: day, type: date }", "    - { name: flag, type: bool }", "    - { name: note, type: string }",
    "  key: [id, day]", "  partition_by: day", "mode: snapshot",
  ]);
});
afterAll(() => fx?.stop());

/** The current version's rows, read back by DuckDB. */
async function readRows(): Promise<Row[]> {
  const out = await fx.readRows("id, strftime(day, '%Y-%m-%d') AS day, flag, note FROM rows ORDER BY id, day");
  return out.map((r) => ({ id: String(r.id), day: String(r.day), flag: r.flag === null ? null : Boolean(r.flag), note: String(r.note) }));
}

const verify = async (suffix: string) => (await fx.client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${DATASET}-${suffix}`, taskQueue: fx.taskQueue, args: [{ dataset: DATASET }] })) as VerifyResult;

describe("a store whose index is tidemark.hash/2, with a bool column [file store, real dev server]", () => {
  it("verifies clean as written, then a flag changed between false and null is published as an update, and verify is clean", async () => {
    const before = await fx.current();
    expect(before.version).toBe(OLD_VERSION);
    expect(before.index.map((f) => f.hashing)).toEqual(["tidemark.hash/2"]);
    expect((await verify("before")).findings).toEqual([]);

    const v2 = V1.map((r) => (r.id === "a" && r.day === "2025-02-01" ? { ...r, flag: null } : r.id === "b" && r.day === "2025-01-01" ? { ...r, flag: false } : r));
    writeFileSync(fx.sourcePath, csv(v2));
    const result = (await fx.client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(DATASET), taskQueue: fx.taskQueue, args: [{ dataset: DATASET }] })) as IngestResult;
    expect(result.status).toBe("published");
    expect(result.parentVersion).toBe(OLD_VERSION);
    expect(result.counts).toMatchObject({ inserted: 0, updated: 2, deleted: 0, unchanged: 4, rowsTotal: v2.length });

    const after = await fx.current();
    expect(after.index.map((f) => f.hashing)).toEqual(["tidemark.hash/3"]);
    expect(await readRows()).toEqual(v2);
    const checked = await verify("after");
    expect(checked.findings).toEqual([]);
    expect(checked.version).toBe(after.version);
  });
});
