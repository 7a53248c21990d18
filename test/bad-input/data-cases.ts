import type { BadInputCase } from "./run-case";
import { type Bench, GOOD_CSV } from "./harness";

const HEADER = "series_id,obs_date,value,count\n";

/** A first-load case: dataset `id` reads `file` holding `content`. */
function firstLoad(id: string, file: string, content: string | Uint8Array, opts: { format?: string; sourceOptions?: string; extra?: string[] } = {}) {
  return (bench: Bench) => {
    bench.define(id, bench.source(file, content), opts);
    return id;
  };
}

/** An incremental case: dataset `id` first publishes {@link GOOD_CSV} from `file`, which then holds `content`. */
function incremental(id: string, file: string, content: string | Uint8Array): Pick<BadInputCase, "setup" | "spoil"> {
  return {
    setup: firstLoad(id, file, GOOD_CSV),
    spoil: (bench) => void bench.source(file, content),
  };
}

/** Cases where the source bytes or rows are bad (fs store, file:// sources). */
export const DATA_CASES: BadInputCase[] = [
  {
    name: "CSV quote never closed",
    dataset: "bi_quote",
    setup: firstLoad("bi_quote", "quote.csv", `${HEADER}A,2025-01-01,1.5,1\n"B,2025-02-01,2.5,2\nC,2025-03-01,3.5,3\n`),
    expectedError: 'Ingest of bi_quote failed: quote.csv row 3: field 1 opens a quote that is never closed; close it, or double any quote inside a quoted field.',
    exit: 1,
    type: "SourceFormatError",
  },
  {
    name: "CSV row with too few fields (incremental)",
    dataset: "bi_fields",
    ...incremental("bi_fields", "fields.csv", `${HEADER}A,2025-01-01,1.5,1\nA,2025-02-01,2.5\n`),
    expectedError: 'Ingest of bi_fields failed: fields.csv row 3: the row has 3 fields but the header has 4 — fix the source or set on_bad_rows: quarantine.',
    exit: 1,
    type: "BadRowsError",
  },
  {
    name: "CSV row with an extra field",
    dataset: "bi_extra_field",
    setup: firstLoad("bi_extra_field", "extra.csv", `${HEADER}A,2025-01-01,1.5,1,surplus\n`),
    expectedError: 'Ingest of bi_extra_field failed: extra.csv row 2: the row has 5 fields but the header has 4 — fix the source or set on_bad_rows: quarantine.',
    exit: 1,
    type: "BadRowsError",
  },
  {
    name: "a column the definition reads is missing",
    dataset: "bi_missing_col",
    setup: firstLoad("bi_missing_col", "missing.csv", "series_id,obs_date,value\nA,2025-01-01,1.5\n"),
    expectedError: 'Ingest of bi_missing_col failed: missing.csv has no column "count" (read by schema.columns[3]); the columns found are "series_id", "obs_date", "value" — fix the definition or the source.',
    exit: 1,
    type: "MissingColumnError",
  },
  {
    name: "a column appears twice in the header",
    dataset: "bi_dup_col",
    setup: firstLoad("bi_dup_col", "twice.csv", "series_id,obs_date,value,count,value\nA,2025-01-01,1.5,1,2\n"),
    expectedError: 'Ingest of bi_dup_col failed: twice.csv has the column "value" 2 times (positions 3, 5); rename the duplicates in the source so the definition can tell them apart.',
    exit: 1,
    type: "AmbiguousColumnError",
  },
  {
    name: "text in a double column (incremental)",
    dataset: "bi_double",
    ...incremental("bi_double", "double.csv", `${HEADER}A,2025-01-01,1.5,1\nA,2025-02-01,abc,2\n`),
    expectedError: 'Ingest of bi_double failed: double.csv row 3: column "value" is "abc", which is not a number — fix the source or set on_bad_rows: quarantine.',
    exit: 1,
    type: "BadRowsError",
  },
  {
    name: "a bad integer",
    dataset: "bi_int",
    setup: firstLoad("bi_int", "int.csv", `${HEADER}A,2025-01-01,1.5,12x\n`),
    expectedError: 'Ingest of bi_int failed: int.csv row 2: column "count" is "12x", which is not an integer — fix the source or set on_bad_rows: quarantine.',
    exit: 1,
    type: "BadRowsError",
  },
  {
    name: "a date with month 13 and day 45",
    dataset: "bi_date_range",
    setup: firstLoad("bi_date_range", "dates.csv", `${HEADER}A,2024-13-45,1.5,1\n`),
    expectedError: 'Ingest of bi_date_range failed: dates.csv row 2: column "obs_date" is "2024-13-45", which is not a real calendar date — fix the source or set on_bad_rows: quarantine.',
    exit: 1,
    type: "BadRowsError",
  },
  {
    name: "February 30th (incremental)",
    dataset: "bi_feb30",
    ...incremental("bi_feb30", "feb.csv", `${HEADER}A,2024-02-30,1.5,1\n`),
    expectedError: 'Ingest of bi_feb30 failed: feb.csv row 2: column "obs_date" is "2024-02-30", which is not a real calendar date — fix the source or set on_bad_rows: quarantine.',
    exit: 1,
    type: "BadRowsError",
  },
  {
    name: "a partition date before the year 1000 (incremental)",
    dataset: "bi_year_50",
    ...incremental("bi_year_50", "year50.csv", `${HEADER}A,2025-01-01,1.5,1\nB,0050-03-01,2.5,2\n`),
    expectedError: 'Ingest of bi_year_50 failed: year50.csv row 3: column "obs_date" is "0050-03-01", which is a date outside the partition years 1000–9999 — fix the source or set on_bad_rows: quarantine.',
    exit: 1,
    type: "BadRowsError",
  },
  {
    name: "the same key twice with different values",
    dataset: "bi_dup_key",
    setup: firstLoad("bi_dup_key", "dups.csv", `${HEADER}A,2025-01-01,1.5,1\nB,2025-01-01,2,2\nA,2025-01-01,9.5,1\n`),
    expectedError: 'Ingest of bi_dup_key failed: Duplicate key series_id=A, obs_date=2025-01-01 in data rows 1 and 3 of the source; make the keys unique in the source or set duplicates: last_wins.',
    exit: 1,
    type: "DuplicateKeyError",
  },
  {
    name: "a header-only CSV in snapshot mode (incremental)",
    dataset: "bi_header_only",
    setup: firstLoad("bi_header_only", "header.csv", GOOD_CSV, { extra: ["mode: snapshot"] }),
    spoil: (bench) => void bench.source("header.csv", HEADER),
    expectedError: 'Ingest of bi_header_only failed: The source of bi_header_only has no rows, and in snapshot mode that would delete all 3 rows of the current version; check the export that produces it, or set allow_empty_snapshot: true if the dataset really is empty now.',
    exit: 1,
    type: "SourceEmptyError",
  },
  {
    name: "a 0-byte file",
    dataset: "bi_zero",
    setup: firstLoad("bi_zero", "zero.csv", ""),
    expectedError: 'Ingest of bi_zero failed: zero.csv is empty (0 bytes); check that the export that produces it finished.',
    exit: 1,
    type: "SourceFormatError",
  },
  {
    name: "latin-1 bytes in a UTF-8 source",
    dataset: "bi_utf8",
    setup: firstLoad("bi_utf8", "latin.csv", Buffer.concat([Buffer.from(`${HEADER}A,2025-01-01,1.5,1\nZ`), Buffer.from([0xfc]), Buffer.from("rich,2025-01-01,2,2\n")])),
    expectedError: "Ingest of bi_utf8 failed: latin.csv row 3: byte 0xfc is not valid UTF-8; declare the file's encoding (e.g. source.options.encoding: latin1) or re-export it as UTF-8.",
    exit: 1,
    type: "SourceFormatError",
  },
  {
    name: "a row longer than source.options.max_row_bytes",
    dataset: "bi_long_row",
    setup: firstLoad("bi_long_row", "long.csv", `${HEADER}A,2025-01-01,1.5,1\nB,2025-01-01,${"9".repeat(5000)},2\n`, { sourceOptions: "max_row_bytes: 1024" }),
    expectedError: 'Ingest of bi_long_row failed: long.csv row 3: the row is longer than 1,024 bytes (source.options.max_row_bytes); a quote is probably never closed or the delimiter is not "," — fix the file, or raise max_row_bytes if rows this long are genuine.',
    exit: 1,
    type: "SourceFormatError",
  },
  {
    name: "an XLSX that is not a zip",
    dataset: "bi_xlsx",
    setup: firstLoad("bi_xlsx", "book.xlsx", GOOD_CSV, { format: "xlsx" }),
    expectedError: 'Ingest of bi_xlsx failed: book.xlsx is not an XLSX workbook (it is not a zip archive); check source.format or re-export the file as .xlsx.',
    exit: 1,
    type: "SourceFormatError",
  },
  {
    name: "a Parquet source that is not Parquet",
    dataset: "bi_parquet",
    setup: firstLoad("bi_parquet", "series.parquet", GOOD_CSV, { format: "parquet" }),
    expectedError: "Ingest of bi_parquet failed: series.parquet is not a Parquet file (the PAR1 magic bytes are missing); check source.format, or re-export the file as Parquet.",
    exit: 1,
    type: "SourceFormatError",
  },
  {
    name: "an NDJSON line that is not JSON",
    dataset: "bi_ndjson",
    setup: firstLoad("bi_ndjson", "series.ndjson", '{"series_id":"A","obs_date":"2025-01-01","value":1.5,"count":1}\n{"series_id":"B","obs_date":\n', { format: "ndjson" }),
    expectedError: "Ingest of bi_ndjson failed: series.ndjson row 2: the row is not valid JSON — fix the source or set on_bad_rows: quarantine.",
    exit: 1,
    type: "BadRowsError",
  },
];
