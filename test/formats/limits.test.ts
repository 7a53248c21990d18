import * as ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { readXlsx } from "../../src/formats";
import { chunked, sourceOptions } from "./helpers";
import { LimitExceededError } from "../../src/errors";
import { readSource, type ReadLimits } from "../../src/formats";
import { jsonDepthOver } from "../../src/formats/limits";
import { DEFAULT_LIMITS, ingestLimitsFromEnv } from "../../src/sources/limits";
import { SourceConfigError } from "../../src/sources/limits";
import { parseDefinition } from "../../src/definition";
import type { SourceFormat, SourceOptions } from "../../src/definition/schema";
import { seriesDefinitionYaml } from "../support/definitions";

const CSV_OPTIONS: SourceOptions = parseDefinition(seriesDefinitionYaml({ id: "lim", uri: "file:///x.csv", mode: "snapshot" }), "lim.yaml").source.options;

/** Chunks of `text`, counting how many the reader pulled. */
function counted(parts: string[]): { chunks: AsyncIterable<Uint8Array>; pulled(): number } {
  let pulled = 0;
  return {
    chunks: (async function* () {
      for (const p of parts) {
        pulled++;
        yield Buffer.from(p);
      }
    })(),
    pulled: () => pulled,
  };
}

async function failure(format: SourceFormat, parts: string[], limits: ReadLimits, batchRows = 2): Promise<{ err: Error; pulled: number; total: number }> {
  const input = counted(parts);
  let err: Error | undefined;
  try {
    for await (const _ of readSource(input.chunks, format, CSV_OPTIONS, { fileLabel: "src", limits, batchRows })) void _;
  } catch (e) {
    err = e as Error;
  }
  if (!err) throw new Error("no limit error");
  return { err, pulled: input.pulled(), total: parts.length };
}

describe("size limits at the reader boundary", () => {
  it("fail on too many rows while streaming, before the rest is read", async () => {
    const parts = ["a,b\n", ...Array.from({ length: 12 }, () => "1,x\n".repeat(262_144))];
    const { err, pulled, total } = await failure("csv", parts, { rows: 3 });
    expect(err).toBeInstanceOf(LimitExceededError);
    expect(err.message).toBe("src has more than 3 rows, over the limit set by TIDEMARK_MAX_ROWS; shrink the source or raise TIDEMARK_MAX_ROWS on the worker.");
    expect(pulled).toBeLessThan(total);
  });

  it("fail on a header with too many columns as soon as it is read, without naming them", async () => {
    const header = Array.from({ length: 300 }, (_, i) => `secret_col_${i}`).join(",");
    const { err } = await failure("csv", [`${header}\n`, "1\n".repeat(10)], { columns: 100 });
    expect(err.message).toBe("src has more than 100 columns, over the limit set by TIDEMARK_MAX_COLUMNS; shrink the source or raise TIDEMARK_MAX_COLUMNS on the worker.");
  });

  it("fail on JSON nested deeper than the limit, in NDJSON lines and JSON documents", async () => {
    const deep = `${"[".repeat(200)}${"]".repeat(200)}`;
    const nd = await failure("ndjson", ['{"a":1}\n', `{"a":${deep}}\n`], { jsonDepth: 64 });
    expect(nd.err.message).toBe("src line 2 nests deeper than 64 levels, over the limit set by TIDEMARK_MAX_JSON_DEPTH; shrink the source or raise TIDEMARK_MAX_JSON_DEPTH on the worker.");
    const doc = await failure("json", [`[{"a":1},{"a":${deep}}]`], { jsonDepth: 64 });
    expect(doc.err).toBeInstanceOf(LimitExceededError);
    const outer = await failure("json", [`${"[".repeat(100000)}`], { jsonDepth: 64 });
    expect(outer.err.message).toBe("src nests deeper than 64 levels, over the limit set by TIDEMARK_MAX_JSON_DEPTH; shrink the source or raise TIDEMARK_MAX_JSON_DEPTH on the worker.");
    expect([jsonDepthOver('{"s":"[[[[["}', 2), jsonDepthOver("[[[]]]", 2)]).toEqual([false, true]);
  });

  it("fail on an NDJSON line longer than the row-bytes limit", async () => {
    const { err } = await failure("ndjson", ['{"a":1}\n', `{"a":"${"x".repeat(5000)}`, `${"y".repeat(5000)}"}\n`], { rowBytes: 4096 });
    expect(err.message).toBe("src line 2 is longer than 4,096 bytes, over the limit set by TIDEMARK_MAX_ROW_BYTES; shrink the source or raise TIDEMARK_MAX_ROW_BYTES on the worker.");
  });
});

describe("XLSX limits", () => {
  it("fail on too many cells or columns while the sheet streams", async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet("Data");
    ws.addRow(["a", "b", "c"]);
    for (let i = 0; i < 200; i++) ws.addRow([i, i, i]);
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());
    const read = async (limits: ReadLimits) => {
      try {
        for await (const _ of readXlsx(chunked(bytes, 4096), sourceOptions("xlsx", "{}"), "book.xlsx", 65536, limits)) void _;
      } catch (err) {
        return (err as Error).message;
      }
      return "no error";
    };
    expect(await read({ xlsxCells: 300 })).toBe("book.xlsx has more than 300 cells, over the limit set by TIDEMARK_MAX_XLSX_CELLS; shrink the source or raise TIDEMARK_MAX_XLSX_CELLS on the worker.");
    expect(await read({ columns: 2 })).toBe("book.xlsx has 3 columns (at most 2), over the limit set by TIDEMARK_MAX_COLUMNS; shrink the source or raise TIDEMARK_MAX_COLUMNS on the worker.");
    expect(await read({ xlsxCells: 600 })).toBe("no error");
  });
});

describe("ingestLimitsFromEnv", () => {
  it("has defaults and reads each TIDEMARK_MAX_* variable", () => {
    expect(ingestLimitsFromEnv({})).toEqual(DEFAULT_LIMITS);
    expect(ingestLimitsFromEnv({ TIDEMARK_MAX_ROWS: "10", TIDEMARK_MAX_SOURCE_BYTES: "2048" })).toMatchObject({ rows: 10, sourceBytes: 2048, columns: DEFAULT_LIMITS.columns });
    expect(() => ingestLimitsFromEnv({ TIDEMARK_MAX_COLUMNS: "many" })).toThrow(SourceConfigError);
  });
});
