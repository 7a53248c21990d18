import { S3Client } from "@aws-sdk/client-s3";
import { WorkflowFailedError, type Client } from "@temporalio/client";
import { ApplicationFailure } from "@temporalio/common";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import type { GcResult, VerifyResult } from "../../src/maintenance";
import { monthFiles } from "../../src/manifest/month-files";
import { parsePointer, parseVersionManifest, type VersionManifest } from "../../src/manifest/schema";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import { S3ObjectStore } from "../../src/store/s3";
import type { ObjectStore } from "../../src/store/types";
import { runCli } from "../cli/helpers";
import { openDuck, rows as duckRows } from "../support/duck";
import { makeS3Client, services } from "../support/services";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { keyOf, monthlySeries, toCsv, type SeriesRow } from "./ingest-fixtures";
import { readProjectionRows } from "./read-back";

/** One reading of the day-partitioned dataset, as the test writes it (UTC timestamps). */
interface Tick {
  sensor: string;
  at: string;
  reading: number;
}

/** A timestamp as UTC ISO text to the second (`…Z`). */
const utc = (at: string) => new Date(at).toISOString().replace(".000Z", "Z");
/** Readings in UTC, sorted by key: the comparable form of what the test wrote and what it reads back. */
const sortTicks = (ticks: Iterable<Tick>) => [...ticks].map((t) => ({ ...t, at: utc(t.at) })).sort((a, b) => `${a.sensor}|${a.at}`.localeCompare(`${b.sensor}|${b.at}`));
/** The UTC day of a timestamp, `YYYY-MM-DD`. */
const dayOf = (at: string) => utc(at).slice(0, 10);
const dirOfDay = (day: string) => `year=${day.slice(0, 4)}/month=${day.slice(5, 7)}/day=${day.slice(8, 10)}`;

const TICKS_YAML = (id: string, uri: string, granularity = "day") =>
  [
    `id: ${id}`,
    `source: { uri: "${uri}", format: csv }`,
    "mode: snapshot",
    "schema:",
    "  columns:",
    "    - { name: sensor, type: string }",
    "    - { name: at, type: timestamp }",
    "    - { name: reading, type: double }",
    "  key: [sensor, at]",
    `  partition_by: { column: at, granularity: ${granularity} }`,
    "",
  ].join("\n");

const ANNUAL_YAML = (id: string, uri: string) =>
  [
    `id: ${id}`,
    `source: { uri: "${uri}", format: csv }`,
    "schema:",
    "  columns:",
    "    - { name: series_id, type: string }",
    "    - { name: obs_date, type: date }",
    "    - { name: value, type: double }",
    "  key: [series_id, obs_date]",
    "  partition_by: { column: obs_date, granularity: year }",
    "",
  ].join("\n");

/**
 * Readings across a year boundary (2024-12-31 → 2025-01-01) and a month boundary (2025-01-31 →
 * 2025-02-01), a second either side of midnight, and two with offsets whose UTC day differs from
 * their local day (2025-01-01 local is 2024-12-31 UTC; 2025-01-31 local is 2025-02-01 UTC).
 */
const V1: Tick[] = [
  ...["S1", "S2"].flatMap((sensor, i) =>
    ["2024-12-31T08:00:00Z", "2024-12-31T23:59:59Z", "2025-01-01T00:00:00Z", "2025-01-01T12:30:00Z", "2025-01-31T23:59:59Z", "2025-02-01T00:00:00Z"].map((at, j) => ({ sensor, at, reading: 10 * i + j + 0.5 })),
  ),
  { sensor: "S3", at: "2025-01-01T00:30:00+02:00", reading: 1.25 },
  { sensor: "S3", at: "2025-01-31T22:30:00-03:00", reading: 2.25 },
];

/** The revision: the last day of 2024 dropped (snapshot deletes), one reading updated, two inserted (one in a new day). */
const V2: Tick[] = [
  ...V1.filter((t) => dayOf(t.at) !== "2024-12-31").map((t) => ({ ...t, reading: t.at === "2025-01-01T00:00:00Z" && t.sensor === "S1" ? 99.25 : t.reading })),
  { sensor: "S1", at: "2025-02-01T23:59:59Z", reading: 7.5 },
  { sensor: "S2", at: "2025-03-01T00:00:00Z", reading: 8.5 },
];

/** Each backend with the environment the CLI needs to read it. */
const backends: { name: string; make: () => { store: ObjectStore; cliEnv: Record<string, string>; close(): void } }[] = [
  {
    name: "file",
    make: () => {
      const store = new FsObjectStore(mkdtempSync(join(tmpdir(), "tidemark-gran-")));
      return { store, cliEnv: { TIDEMARK_STORE: store.url }, close() {} };
    },
  },
  {
    name: "s3",
    make: () => {
      const client: S3Client = makeS3Client();
      const { s3 } = services();
      const store = new S3ObjectStore({ client, bucket: s3.bucket, prefix: `gran-${Date.now()}` });
      const cliEnv = { TIDEMARK_STORE: store.url, AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_REGION: s3.region, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey };
      return { store, cliEnv, close: () => client.destroy() };
    },
  },
];

describe.each(backends)("partition granularity day and year, ingest → revision → verify [$name store]", { timeout: 180_000 }, ({ name, make }) => {
  const stamp = Date.now().toString(36);
  const ticks = `gran_day_${name}_${stamp}`;
  const annual = `gran_year_${name}_${stamp}`;
  const dir = mkdtempSync(join(tmpdir(), "tidemark-gran-ws-"));
  const datasetsDir = join(dir, "datasets");
  const ticksSource = join(dir, "ticks.csv");
  const annualSource = join(dir, "annual.csv");
  const taskQueue = uniqueTaskQueue(`gran-${name}`);
  let backend: ReturnType<typeof make>;
  let client: Client;
  let worker: RunningWorker;
  let verifies = 0;

  const writeTicks = (rows: Tick[]) => writeFileSync(ticksSource, `sensor,at,reading\n${rows.map((t) => `${t.sensor},${t.at},${t.reading}`).join("\n")}\n`);
  const ingest = (dataset: string) => client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] }) as Promise<IngestResult>;
  const verify = (dataset: string, repair = false) =>
    client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${dataset}-${++verifies}`, taskQueue, args: [{ dataset, repair }] }) as Promise<VerifyResult>;
  const current = async (dataset: string): Promise<VersionManifest> => {
    const root = `datasets/${dataset}/`;
    const pointer = parsePointer((await backend.store.get(`${root}current/manifest.json`)).body);
    return parseVersionManifest((await backend.store.get(root + pointer.manifest)).body);
  };
  const list = async (prefix: string) => {
    const keys: string[] = [];
    for await (const o of backend.store.list(prefix)) keys.push(o.key.slice(prefix.length));
    return keys.sort();
  };
  /** Every row of each projection file of the current version, read by DuckDB file by file, with its manifest label. */
  const ticksByFile = async (dataset: string): Promise<{ label: string; rows: Tick[] }[]> => {
    const manifest = await current(dataset);
    const local = mkdtempSync(join(tmpdir(), "tidemark-gran-read-"));
    const duck = await openDuck();
    try {
      const out: { label: string; rows: Tick[] }[] = [];
      for (const [label, entry] of Object.entries(manifest.projections.latest)) {
        const paths: string[] = [];
        for (const [i, file] of monthFiles(entry).entries()) {
          const path = join(local, `${label}-${i}.parquet`);
          writeFileSync(path, (await backend.store.get(`datasets/${dataset}/${file.path}`)).body);
          paths.push(`'${path}'`);
        }
        const rows = await duckRows(duck.conn, `SELECT sensor, epoch_ms("at") AS ms, reading FROM read_parquet([${paths.join(", ")}])`);
        out.push({ label, rows: rows.map((r) => ({ sensor: String(r.sensor), at: new Date(Number(r.ms)).toISOString().replace(".000Z", "Z"), reading: Number(r.reading) })) });
      }
      return out;
    } finally {
      duck.close();
    }
  };

  beforeAll(async () => {
    mkdirSync(datasetsDir);
    writeFileSync(join(datasetsDir, `${ticks}.yaml`), TICKS_YAML(ticks, pathToFileURL(ticksSource).href));
    writeFileSync(join(datasetsDir, `${annual}.yaml`), ANNUAL_YAML(annual, pathToFileURL(annualSource).href));
    backend = make();
    client = await testClient();
    worker = await startTestWorker({ store: backend.store, datasetsDir, taskQueue, client });
  });
  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
    backend?.close();
  });

  it("by day: every day its own partition under year=/month=/day=, each file holding exactly that UTC day's rows", async () => {
    writeTicks(V1);
    const result = await ingest(ticks);
    expect(result).toMatchObject({ status: "published", counts: { inserted: V1.length, updated: 0, deleted: 0, rowsTotal: V1.length } });
    const days = [...new Set(V1.map((t) => dayOf(t.at)))].sort();
    expect(days).toEqual(["2024-12-31", "2025-01-01", "2025-01-31", "2025-02-01"]);
    expect(result.months).toEqual(days);
    const manifest = await current(ticks);
    expect(manifest.schema.partition_by).toEqual({ column: "at", granularity: "day" });
    expect(manifest.events).toMatchObject([{ path: `events/${result.version}/data/part-00000.parquet`, months: days, rows: V1.length, inserted: V1.length }]);
    const root = `datasets/${ticks}/`;
    expect(await list(`${root}events/${result.version}/data/`)).toEqual(["part-00000.parquet"]);
    expect(await list(`${root}projections/`)).toEqual(days.map((d) => `latest/${dirOfDay(d)}/${result.version}.parquet`));
    const files = await ticksByFile(ticks);
    expect(files.map((f) => f.label)).toEqual(days);
    for (const f of files) expect(sortTicks(f.rows)).toEqual(sortTicks(V1.filter((t) => dayOf(t.at) === f.label)));
    const s3Days = files.filter((f) => f.rows.some((t) => t.sensor === "S3")).map((f) => f.label);
    expect(s3Days).toEqual(["2024-12-31", "2025-02-01"]);
    expect((await verify(ticks)).findings).toEqual([]);
  });

  it("by day, a revision: updates, inserts and deletes land in their days; an emptied day leaves the manifest", async () => {
    const before = await current(ticks);
    const v2 = V2;
    writeTicks(v2);
    const result = await ingest(ticks);
    expect(result).toMatchObject({ status: "published", parentVersion: before.version, counts: { inserted: 2, updated: 1, deleted: V1.length + 2 - v2.length, rowsTotal: v2.length } });
    const touched = ["2024-12-31", "2025-01-01", "2025-02-01", "2025-03-01"];
    expect(result.months).toEqual(touched);
    const manifest = await current(ticks);
    expect(Object.keys(manifest.projections.latest)).toEqual(["2025-01-01", "2025-01-31", "2025-02-01", "2025-03-01"]);
    expect(monthFiles(manifest.projections.latest["2025-01-31"])).toEqual(monthFiles(before.projections.latest["2025-01-31"]));
    expect(manifest.events).toMatchObject([{ months: touched }]);
    expect(await list(`datasets/${ticks}/events/${result.version}/data/`)).toEqual(["part-00000.parquet"]);
    const files = await ticksByFile(ticks);
    for (const f of files) expect(sortTicks(f.rows)).toEqual(sortTicks(v2.filter((t) => dayOf(t.at) === f.label)));
    expect(sortTicks(files.flatMap((f) => f.rows))).toEqual(sortTicks(v2));
    expect((await verify(ticks)).findings).toEqual([]);
  });

  it("by year: year=YYYY partitions, then a revision, read back equal and verify clean", async () => {
    const v1 = monthlySeries(["A", "B"], "2023-11", 16, (s, m) => m + (s === "B" ? 0.5 : 0));
    writeFileSync(annualSource, toCsv(v1));
    const first = await ingest(annual);
    expect(first).toMatchObject({ status: "published", counts: { inserted: 32, rowsTotal: 32 } });
    expect(first.months).toEqual(["2023", "2024", "2025"]);
    expect(await list(`datasets/${annual}/projections/`)).toEqual(["2023", "2024", "2025"].map((y) => `latest/year=${y}/${first.version}.parquet`));
    expect(await list(`datasets/${annual}/events/${first.version}/data/`)).toEqual(["part-00000.parquet"]);
    expect((await current(annual)).events).toMatchObject([{ months: ["2023", "2024", "2025"], rows: 32 }]);

    const expected = new Map<string, SeriesRow>(v1.map((r) => [keyOf(r), r]));
    const v2 = v1.map((r) => (r.series_id === "A" && r.obs_date.startsWith("2025") ? { ...r, value: -1 } : r));
    v2.push(...monthlySeries(["A"], "2026-01", 2, () => 3.5));
    for (const r of v2) expected.set(keyOf(r), r);
    writeFileSync(annualSource, toCsv(v2));
    const second = await ingest(annual);
    expect(second).toMatchObject({ status: "published", parentVersion: first.version, counts: { inserted: 2, updated: 2, deleted: 0, rowsTotal: 34 } });
    expect(second.months).toEqual(["2025", "2026"]);
    const manifest = await current(annual);
    expect(manifest.schema.partition_by).toEqual({ column: "obs_date", granularity: "year" });
    expect(Object.fromEntries(Object.entries(manifest.projections.latest).map(([y, m]) => [y, monthFiles(m).map((f) => f.path).join(", ")]))).toEqual({
      "2023": `projections/latest/year=2023/${first.version}.parquet`,
      "2024": `projections/latest/year=2024/${first.version}.parquet`,
      "2025": `projections/latest/year=2025/${second.version}.parquet`,
      "2026": `projections/latest/year=2026/${second.version}.parquet`,
    });
    expect(await readProjectionRows(backend.store, annual)).toEqual([...expected.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b))));
    expect((await verify(annual)).findings).toEqual([]);
  });

  it("a definition changing the granularity is refused and writes nothing", async () => {
    const root = `datasets/${ticks}/`;
    const keys = await list(root);
    writeFileSync(join(datasetsDir, `${ticks}.yaml`), TICKS_YAML(ticks, pathToFileURL(ticksSource).href, "month"));
    try {
      const err = await ingest(ticks).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const failure = (err as WorkflowFailedError).cause;
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect((failure as ApplicationFailure).type).toBe("SchemaConflictError");
      expect((failure as ApplicationFailure).message).toContain("changes the partition granularity from day to month");
    } finally {
      writeFileSync(join(datasetsDir, `${ticks}.yaml`), TICKS_YAML(ticks, pathToFileURL(ticksSource).href));
    }
    expect(await list(root)).toEqual(keys);
  });

  it("read, files, repair and gc handle day partitions", async () => {
    const env = backend.cliEnv;
    const manifest = await current(ticks);
    const january = await runCli(["read", ticks, "--month", "2025-01", "--format", "json"], env);
    expect(january.code).toBe(0);
    const read = january.stdout.trim().split("\n").map((l) => JSON.parse(l) as Tick);
    expect(sortTicks(read)).toEqual(sortTicks(V2.filter((t) => dayOf(t.at).startsWith("2025-01"))));
    const oneDay = await runCli(["files", ticks, "--month", "2025-03-01", "--json"], env);
    expect(oneDay.code).toBe(0);
    expect((JSON.parse(oneDay.stdout) as { files: { month: string }[] }).files.map((f) => f.month)).toEqual(["2025-03-01"]);
    const wholeYear = await runCli(["files", ticks, "--month", "2025", "--events", "--json"], env);
    expect(wholeYear.code).toBe(0);
    const listing = JSON.parse(wholeYear.stdout) as { files: { month: string }[]; events: { month: string }[] };
    expect([...new Set(listing.files.map((f) => f.month))]).toEqual([...new Set(V2.map((t) => dayOf(t.at)))].sort());
    expect(listing.events.map((f) => f.month)).toEqual(["2024-12-31..2025-03-01"]);

    const lost = monthFiles(manifest.projections.latest["2025-02-01"])[0].path;
    await backend.store.delete(`datasets/${ticks}/${lost}`);
    const repaired = await verify(ticks, true);
    expect(repaired.findings.map((f) => f.object)).toContain(lost);
    expect(repaired.repair?.status).toBe("published");
    expect(repaired.remaining).toEqual([]);
    const rebuilt = await current(ticks);
    expect(Object.keys(rebuilt.projections.latest)).toEqual(Object.keys(manifest.projections.latest));
    expect(monthFiles(rebuilt.projections.latest["2025-02-01"]).map((f) => f.path)).toEqual([`projections/latest/year=2025/month=02/day=01/${rebuilt.version}.parquet`]);
    const gc = (await client.workflow.execute("collectGarbage", { workflowId: `tidemark/gc/${ticks}`, taskQueue, args: [{ dataset: ticks, olderThan: 0 }] })) as GcResult;
    expect(gc.referenced).toBeGreaterThan(0);
    expect((await verify(ticks)).findings).toEqual([]);
    const files = await ticksByFile(ticks);
    for (const f of files) expect(sortTicks(f.rows)).toEqual(sortTicks(V2.filter((t) => dayOf(t.at) === f.label)));
    expect(sortTicks(files.flatMap((f) => f.rows))).toEqual(sortTicks(V2));
  });
});
