import { describe, expect, it } from "vitest";
import { envHint } from "../../src/cli/commands/dev";
import { duckdbCommand, objectUri, type VersionFile } from "../../src/cli/dataset-view";
import { durationMs, formatDuration, MAX_WAIT_SECONDS, parseWaitSeconds } from "../../src/cli/options";
import { csvField, csvLine, jsonLine, textTable } from "../../src/cli/render";
import type { ObjectStore } from "../../src/store/types";

const storeAt = (url: string) => ({ url }) as ObjectStore;
const file = (uri: string): VersionFile => ({ kind: "projection", month: "2025-01", path: "p", uri, rows: 1 });

describe("file URIs", () => {
  it("are absolute paths for file:// stores and s3:// URIs for S3 stores", () => {
    expect(objectUri(storeAt("file:///data/tm"), "datasets/x/a.parquet")).toBe("/data/tm/datasets/x/a.parquet");
    expect(objectUri(storeAt("file:///data/with%20space/"), "datasets/x/a.parquet")).toBe("/data/with space/datasets/x/a.parquet");
    expect(objectUri(storeAt("s3://bucket/prefix"), "datasets/x/a.parquet")).toBe("s3://bucket/prefix/datasets/x/a.parquet");
    expect(objectUri(storeAt("s3://bucket/"), "datasets/x/a.parquet")).toBe("s3://bucket/datasets/x/a.parquet");
  });

  it("make a DuckDB command that survives the shell and SQL quoting", () => {
    expect(duckdbCommand([file("/a/it's $HOME.parquet"), file("/b.parquet")], {})).toBe(
      `duckdb -c "SELECT * FROM read_parquet(['/a/it''s \\$HOME.parquet', '/b.parquet'], hive_partitioning = false)"`,
    );
  });

  it("set up S3 access for s3:// files, with a custom endpoint when one is configured", () => {
    const cmd = duckdbCommand([file("s3://bucket/p/a.parquet")], { AWS_ENDPOINT_URL_S3: "http://127.0.0.1:9000", AWS_REGION: "eu-west-1" });
    expect(cmd).toBe(
      `duckdb -c "CREATE SECRET (TYPE s3, PROVIDER credential_chain, REGION 'eu-west-1', ENDPOINT '127.0.0.1:9000', URL_STYLE 'path', USE_SSL false); SELECT * FROM read_parquet(['s3://bucket/p/a.parquet'], hive_partitioning = false)"`,
    );
  });
});

describe("durations", () => {
  it.each([
    ["90s", 90_000],
    ["10m", 600_000],
    ["1h30m", 5_400_000],
    ["7d", 604_800_000],
    ["250ms", 250],
  ])("%s", (text, ms) => {
    expect(durationMs(text)).toBe(ms);
    expect(durationMs(formatDuration(ms))).toBe(ms);
  });

  it.each(["", "1", "h", "1 h", "-1h", "0s", "1y"])("rejects %j", (text) => {
    expect(durationMs(text)).toBeUndefined();
  });
});

describe("text output", () => {
  it("quotes CSV fields only when needed", () => {
    expect(csvField(null)).toBe("");
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField(" padded")).toBe('" padded"');
    expect(csvField(1.5)).toBe("1.5");
  });

  it("writes a negative zero double as one, as DuckDB and pyarrow read it from the same file", () => {
    expect(csvLine([-0, 0, -1.5])).toBe("-0,0,-1.5\n");
    expect(jsonLine(["a", "b", "c", "d"], [-0, 0, Number.NaN, "x"])).toBe('{"a":-0.0,"b":0,"c":null,"d":"x"}\n');
  });

  it("aligns table columns, numbers to the right", () => {
    expect(textTable(["NAME", "ROWS"], [["a", 5], ["longer", 12345]])).toBe("NAME      ROWS\na            5\nlonger  12,345");
  });
});

describe("the dev banner's environment hint", () => {
  const assumed = { address: "127.0.0.1:7233", uiUrl: "http://127.0.0.1:8233" };
  it("names only what an ingest from the same shell would get wrong", () => {
    expect(envHint({ address: "127.0.0.1:7233", uiUrl: "http://127.0.0.1:8233" }, assumed)).toBe("");
    expect(envHint({ address: "127.0.0.1:7300", uiUrl: "http://127.0.0.1:8233" }, assumed)).toBe("TEMPORAL_ADDRESS=127.0.0.1:7300 ");
    expect(envHint({ address: "127.0.0.1:7233", uiUrl: "http://127.0.0.1:8300" }, assumed)).toBe("TIDEMARK_UI_URL=http://127.0.0.1:8300 ");
    expect(envHint({ address: "127.0.0.1:7233" }, assumed)).toBe("");
  });
});

describe("parseWaitSeconds", () => {
  it("takes whole seconds up to what a timer can hold, and refuses a longer wait that would fire at once", () => {
    expect(parseWaitSeconds("30")).toBe(30);
    expect(parseWaitSeconds(String(MAX_WAIT_SECONDS))).toBe(2_147_483);
    expect(() => parseWaitSeconds("3000000")).toThrow("expected at most 2147483 seconds (about 24 days).");
    expect(() => parseWaitSeconds("0")).toThrow("expected a positive whole number.");
  });
});
