import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeParquet } from "../../src/parquet";
import { openDuck, rows as duckRows } from "../support/duck";
import { services } from "../support/services";
import { uniqueTaskQueue } from "../support/temporal";
import { publishByHand, runBuiltCli, runCli, tempStore, type HandRow } from "./helpers";

const V1 = "20250101T000000000Z-aaaaaaaa";
const V2 = "20250201T000000000Z-bbbbbbbb";
const DS = "hand_made";
const DS_YEAR = "hand_made_by_year";
const DS_DAY = "hand_made_by_day";

const A11: HandRow = { series_id: "A", obs_date: "2024-11-01", value: 1.5, note: "plain", updated_at: "2024-12-01T10:00:00.000Z" };
const A12: HandRow = { series_id: "A", obs_date: "2024-12-01", value: null, note: "has, comma", updated_at: "2025-01-01T10:00:00.000Z" };
const B11: HandRow = { series_id: "B", obs_date: "2024-11-01", value: 2.25, note: 'say "hi"', updated_at: "2024-12-01T10:00:00.000Z" };
const B12: HandRow = { series_id: "B", obs_date: "2024-12-01", value: -3, note: null, updated_at: "2025-01-01T10:00:00.000Z" };
const A12b: HandRow = { ...A12, value: 4, note: "revised" };
const A01: HandRow = { series_id: "A", obs_date: "2025-01-01", value: 5.5, note: "multi\nline", updated_at: "2025-02-01T10:00:00.000Z" };

const store = tempStore("read");
let env: Record<string, string>;

beforeAll(async () => {
  await publishByHand(store.store, DS, [
    { version: V1, rows: [A11, A12, B11, B12], touched: ["2024-11", "2024-12"], counts: { inserted: 4, updated: 0, deleted: 0 } },
    { version: V2, rows: [A11, B11, A12b, A01], touched: ["2024-12", "2025-01"], counts: { inserted: 1, updated: 1, deleted: 1 } },
  ]);
  await publishByHand(store.store, DS_YEAR, [{ version: V1, rows: [A11, A12, B11, A01], touched: ["2024", "2025"], counts: { inserted: 4, updated: 0, deleted: 0 } }], { column: "obs_date", granularity: "year" });
  await publishByHand(store.store, DS_DAY, [{ version: V1, rows: [A01], touched: ["2025-01-01"], counts: { inserted: 1, updated: 0, deleted: 0 } }], { column: "obs_date", granularity: "day" });
  const { temporal } = services();
  env = { TIDEMARK_STORE: store.url, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, TIDEMARK_TASK_QUEUE: uniqueTaskQueue("read") };
});
afterAll(() => store.cleanup());

describe("versions", () => {
  it("walks the chain from the pointer, newest first", async () => {
    const run = await runCli(["versions", DS, "--json"], env);
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout);
    expect(rows.map((r: { version: string }) => r.version)).toEqual([V2, V1]);
    expect(rows[0]).toMatchObject({ inserted: 1, updated: 1, deleted: 1, rowsTotal: 4, current: true, parentVersion: V1 });
    expect(rows[1]).toMatchObject({ inserted: 4, rowsTotal: 4, current: false, parentVersion: null });
    const text = await runCli(["versions", DS], env);
    expect(text.stdout.split("\n")[0]).toMatch(/^VERSION\s+CREATED\s+INSERTED\s+UPDATED\s+DELETED\s+ROWS$/);
    expect(text.stdout).toContain(`${V2} *`);
  });

  it("says how to publish a dataset that has no version", async () => {
    const run = await runCli(["versions", "never_published"], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('has no published version');
    expect(run.stderr).toContain('tidemark ingest never_published');
  });
});

describe("a version whose projection file is missing from the store", () => {
  it("read says which file is missing and to run verify, exit 1", async () => {
    const broken = "hand_made_broken";
    await publishByHand(store.store, broken, [{ version: V1, rows: [A11, A12, B11, B12], touched: ["2024-11", "2024-12"], counts: { inserted: 4, updated: 0, deleted: 0 } }]);
    const path = "projections/latest/year=2024/month=12/" + V1 + ".parquet";
    await store.store.delete(`datasets/${broken}/${path}`);
    for (const format of ["csv", "parquet"]) {
      const run = await runCli(["read", broken, "--month", "2024-12", "--format", format], env);
      expect(run.code, format).toBe(1);
      expect(run.stdout).toBe("");
      expect(run.stderr).toBe(`tidemark: Version ${V1} of ${broken} references ${path}, which is missing from ${store.url}; run "tidemark verify ${broken}" (with --repair it rebuilds projections from the events).\n`);
    }
  });
});

describe("output to a pipe its reader closed (tidemark … | head)", () => {
  it("ends quietly with the command's exit code, no EPIPE stack trace", async () => {
    for (const args of [["versions", DS], ["files", DS], ["read", DS], ["--help"]]) {
      const run = await runBuiltCli(args, env, { closeStdout: true });
      expect(run.stderr, args.join(" ")).toMatch(args[0] === "files" ? /^# \d+ latest files of [^\n]+\nduckdb [^\n]+\n$/ : /^$/);
      expect(run.code, args.join(" ")).toBe(0);
    }
  });
});

describe("an s3:// store without an AWS region", () => {
  it("is refused in one sentence naming AWS_REGION, exit 1", async () => {
    const noRegion = { AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined, AWS_ENDPOINT_URL_S3: undefined, AWS_ENDPOINT_URL: undefined, AWS_PROFILE: undefined, AWS_CONFIG_FILE: "/nonexistent/aws-config", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials" };
    const run = await runCli(["versions", DS], { ...env, ...noRegion, TIDEMARK_STORE: "s3://tm-no-region/data" });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    const lines = run.stderr.split("\n").filter((l) => l.startsWith("tidemark:"));
    expect(lines).toEqual([
      `tidemark: No AWS region is set for read of "datasets/${DS}/current/manifest.json" in s3://tm-no-region/data/; set AWS_REGION (or AWS_ENDPOINT_URL_S3 for an S3-compatible store such as MinIO) where the CLI and the worker run.`,
    ]);
  });
});

describe("files", () => {
  it("lists absolute paths of the current projection months that DuckDB reads as the version", async () => {
    const run = await runCli(["files", DS], env);
    expect(run.code).toBe(0);
    const paths = run.stdout.trim().split("\n");
    expect(paths).toEqual([
      `${store.dir}/datasets/${DS}/projections/latest/year=2024/month=11/${V1}.parquet`,
      `${store.dir}/datasets/${DS}/projections/latest/year=2024/month=12/${V2}.parquet`,
      `${store.dir}/datasets/${DS}/projections/latest/year=2025/month=01/${V2}.parquet`,
    ]);
    expect(run.stderr).toContain(`duckdb -c "SELECT * FROM read_parquet(['${paths[0]}', `);
    const json = JSON.parse((await runCli(["files", DS, "--json"], env)).stdout);
    expect(json.version).toBe(V2);
    const duck = await openDuck();
    try {
      const sql = /duckdb -c "(.*)"$/.exec(json.duckdb)![1];
      const got = await duckRows(duck.conn, `SELECT series_id, strftime(obs_date, '%Y-%m') AS m, value FROM (${sql}) ORDER BY 1, 2`);
      expect(got).toEqual([
        { series_id: "A", m: "2024-11", value: 1.5 },
        { series_id: "A", m: "2024-12", value: 4 },
        { series_id: "A", m: "2025-01", value: 5.5 },
        { series_id: "B", m: "2024-11", value: 2.25 },
      ]);
    } finally {
      duck.close();
    }
  });

  it("lists an older version and its event files on request", async () => {
    const run = await runCli(["files", DS, "--version", V1, "--events", "--json"], env);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json).toMatchObject({ version: V1, current: false });
    expect(json.files.map((f: { month: string }) => f.month)).toEqual(["2024-11", "2024-12"]);
    expect(json.events.map((f: { uri: string }) => f.uri)).toEqual([
      `${store.dir}/datasets/${DS}/events/${V1}/data/year=2024/month=11/part-00000.parquet`,
      `${store.dir}/datasets/${DS}/events/${V1}/data/year=2024/month=12/part-00000.parquet`,
    ]);
  });

  it("refuses a version that does not exist", async () => {
    const run = await runCli(["files", DS, "--version", "20240101T000000000Z-cccccccc"], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`tidemark versions ${DS}`);
  });
});

describe("read", () => {
  it("writes CSV with a header, proper quoting, ISO dates and timestamps", async () => {
    const run = await runCli(["read", DS], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        "series_id,obs_date,value,note,updated_at",
        "A,2024-11-01,1.5,plain,2024-12-01T10:00:00.000007Z",
        'B,2024-11-01,2.25,"say ""hi""",2024-12-01T10:00:00.000007Z',
        "A,2024-12-01,4,revised,2025-01-01T10:00:00.000007Z",
        'A,2025-01-01,5.5,"multi\nline",2025-02-01T10:00:00.000007Z',
        "",
      ].join("\n"),
    );
  });

  it("writes NDJSON of an older version, one month, with nulls", async () => {
    const run = await runCli(["read", DS, "--version", V1, "--month", "2024-12", "--format", "json"], env);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split("\n").map((l) => JSON.parse(l))).toEqual([
      { series_id: "A", obs_date: "2024-12-01", value: null, note: "has, comma", updated_at: "2025-01-01T10:00:00.000007Z" },
      { series_id: "B", obs_date: "2024-12-01", value: -3, note: null, updated_at: "2025-01-01T10:00:00.000007Z" },
    ]);
  });

  it("stops after --limit rows", async () => {
    const run = await runCli(["read", DS, "--limit", "3", "--format", "json"], env);
    expect(run.stdout.trim().split("\n")).toHaveLength(3);
  });

  it("writes Parquet bytes that decode to the version's rows", async () => {
    const run = await runCli(["read", DS, "--format", "parquet"], env);
    expect(run.code).toBe(0);
    const table = decodeParquet(new Uint8Array(run.stdoutBytes));
    expect(table.numRows).toBe(4);
    expect(table.schema.fields.map((f) => f.name)).toEqual(["series_id", "obs_date", "value", "note", "updated_at"]);
    const one = await runCli(["read", DS, "--format", "parquet", "--month", "2024-11"], env);
    expect(decodeParquet(new Uint8Array(one.stdoutBytes)).numRows).toBe(2);
  });

  it("refuses a --month finer than the dataset's partitions instead of selecting nothing", async () => {
    const cases: [args: string[], message: string][] = [
      [["read", DS, "--month", "2024-11-01"], `${DS} is partitioned by month, so --month 2024-11-01 (a day) matches no partition; give a year or month instead, e.g. --month 2024-11.`],
      [["files", DS, "--month", "2024-11-01"], `${DS} is partitioned by month, so --month 2024-11-01 (a day) matches no partition; give a year or month instead, e.g. --month 2024-11.`],
      [["read", DS_YEAR, "--month", "2024-11", "--format", "json"], `${DS_YEAR} is partitioned by year, so --month 2024-11 (a month) matches no partition; give a year instead, e.g. --month 2024.`],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args, env);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toBe(`tidemark: ${message}\n`);
    }
    const day = await runCli(["read", DS_DAY, "--month", "2025-01-01", "--format", "json"], env);
    expect(day.code, day.stderr).toBe(0);
    expect(day.stdout.trim().split("\n")).toHaveLength(1);
  });

  it("prints only the header for a month without rows", async () => {
    const run = await runCli(["read", DS, "--month", "2023-01"], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("series_id,obs_date,value,note,updated_at\n");
    const parquet = await runCli(["read", DS, "--month", "2023-01", "--format", "parquet"], env);
    expect(parquet.code).toBe(1);
    expect(parquet.stderr).toContain("has no rows in 2023-01");
  });
});

describe("status", () => {
  it("reports the current version of a dataset Temporal has no runs for", async () => {
    const run = await runCli(["status", DS, "--json"], env);
    expect(run.code).toBe(0);
    const status = JSON.parse(run.stdout);
    expect(status.current).toMatchObject({ version: V2, parentVersion: V1, rowsTotal: 4, inserted: 1, updated: 1, deleted: 1, months: 3, granularity: "month" });
    expect(status.current.url).toContain(`/workflows/tidemark%2Fingest%2F${DS}/run-${V2}/history`);
    expect(status).toMatchObject({ running: null, runs: [], schedule: null });
    const text = await runCli(["status", DS], env);
    expect(text.stdout).toContain(`current   ${V2}`);
    expect(text.stdout).toContain("4 rows in 3 months; this version inserted 1, updated 1, deleted 1");
    expect(text.stdout).toContain("no ingest is running");
  });

  it("counts partitions in the granularity's word for year and day datasets", async () => {
    const year = await runCli(["status", DS_YEAR, "--json"], env);
    expect(JSON.parse(year.stdout).current).toMatchObject({ rowsTotal: 4, months: 2, granularity: "year" });
    expect((await runCli(["status", DS_YEAR], env)).stdout).toContain("4 rows in 2 years; this version inserted 4,");
    const day = await runCli(["status", DS_DAY, "--json"], env);
    expect(JSON.parse(day.stdout).current).toMatchObject({ rowsTotal: 1, months: 1, granularity: "day" });
    expect((await runCli(["status", DS_DAY], env)).stdout).toContain("1 row in 1 day; this version inserted 1,");
  });

  it("exits 1 for a dataset nothing is known about", async () => {
    const run = await runCli(["status", "nothing_here"], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ingest it with "tidemark ingest nothing_here"');
  });

  it("says Temporal is unreachable in one sentence", async () => {
    const run = await runCli(["status", DS], { ...env, TEMPORAL_ADDRESS: "127.0.0.1:1" });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('tidemark: Temporal is not reachable at 127.0.0.1:1 (connection refused: nothing listens at 127.0.0.1:1); start it with "tidemark dev" or set TEMPORAL_ADDRESS.\n');
  });
});
