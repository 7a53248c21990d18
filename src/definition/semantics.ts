/** Cross-field checks of a definition that passed the shape schema, and the defaults that depend on other fields. */
import { withoutEnvReferences } from "../config/env-refs.js";
import { CREDENTIAL_FIX, literalCredential, literalHeaderSecret } from "./credentials.js";
import type { z } from "zod";
import { compileDatePattern } from "../normalize/datetime.js";
import { isLedgerUri, parseLedgerUri } from "../ledger/source-uri.js";
import { parseInterval } from "../intake/compaction-plan.js";
import { isValidDatasetId } from "./id.js";
import { describeValue } from "./issues.js";
import { partitionColumn } from "./partition.js";
import { RESERVED_COLUMN_NAMES } from "./reserved.js";
import { type DatasetDefinition, type SourceFormat, type SourceOptions, definitionSchema } from "./schema.js";

type Parsed = z.output<typeof definitionSchema>;

const EXTENSIONS: Record<string, SourceFormat> = {
  csv: "csv",
  tsv: "csv",
  txt: "csv",
  json: "json",
  ndjson: "ndjson",
  jsonl: "ndjson",
  xlsx: "xlsx",
  parquet: "parquet",
  pq: "parquet",
};

/** The format implied by a URI's file extension (query string ignored), if any. */
export function formatFromUri(uri: string): SourceFormat | undefined {
  const path = uri.replace(/[?#].*$/, "");
  const m = /\.([A-Za-z0-9]+)$/.exec(path);
  return m ? EXTENSIONS[m[1].toLowerCase()] : undefined;
}

const OPTION_FORMATS: Record<string, readonly SourceFormat[]> = {
  delimiter: ["csv"],
  quote: ["csv"],
  escape: ["csv"],
  header: ["csv"],
  encoding: ["csv"],
  comment: ["csv"],
  skip_rows: ["csv", "xlsx"],
  records_path: ["json"],
  sheet: ["xlsx"],
  header_row: ["xlsx"],
  null_values: ["csv", "json", "ndjson", "xlsx", "parquet"],
  decimal_separator: ["csv", "json", "ndjson", "xlsx", "parquet"],
  max_row_bytes: ["csv"],
};

const OPTION_DEFAULTS: Record<string, unknown> = { ...definitionSchema.shape.source.shape.options.parse({}), skip_rows: 0 };

const SECRET_HEADER = /authorization|cookie|token|secret|password|passwd|api[-_]?key|signature|credential/i;

/** A column name as DuckDB compares identifiers: ASCII letters folded to lower case. */
function foldCase(name: string): string {
  return name.replace(/[A-Z]/g, (ch) => ch.toLowerCase());
}

/**
 * Applies cross-field rules and context-dependent defaults to a shape-valid
 * definition. `raw` is the parsed file (to tell given options from defaults).
 * Returns the definition or the problems, one sentence fragment per problem
 * prefixed with its path (the caller adds the file name).
 */
export function checkSemantics(d: Parsed, raw: Record<string, unknown>): DatasetDefinition | string[] {
  const problems: string[] = [];
  const bad = (path: string, text: string) => problems.push(`${path} ${text}`);

  if (!isValidDatasetId(d.id)) {
    bad("id", `must be 1–128 characters of a-z, 0-9, "_", "." or "-", starting with a letter or digit (got ${describeValue(d.id)})`);
  }

  const push = d.source.push;
  if (push !== undefined) {
    if (d.source.uri !== undefined && d.source.uri !== `push:${d.id}`) bad("source.uri", "cannot be combined with source.push; a push dataset receives its records over HTTP");
    if (d.source.format !== undefined && d.source.format !== "ndjson") bad("source.format", "cannot be combined with source.push; pushed records are JSON objects");
    if (d.unpivot !== undefined) bad("unpivot", "cannot be combined with source.push; push records already have the dataset's columns");
    if (d.id === "payments") bad("id", 'cannot be "payments" for a push dataset: "payments" in a token\'s scope (TIDEMARK_INGEST_TOKENS) grants the payments API; rename the dataset');
    if (push.compact_interval !== undefined && parseInterval(push.compact_interval) === undefined) bad("source.push.compact_interval", `must be a duration like "500ms", "5s" or "2m" (got ${describeValue(push.compact_interval)})`);
    if (d.mode !== "upsert") bad("mode", `must be upsert for a push dataset: a compaction sees only the records pushed since the last one, and a client's retry re-sends records already applied (got ${describeValue(d.mode)})`);
    if (raw.duplicates === "error") bad("duplicates", "must be last_wins for a push dataset: a client's retry re-sends its records, and the latest record of a key wins");
    d.duplicates = "last_wins";
  } else if (d.source.uri === undefined) {
    bad("source", "needs a uri (file://, s3://, https:// or http://) or push: {} for records sent to tidemark serve");
  } else if (isLedgerUri(d.source.uri)) {
    const ledger = parseLedgerUri(d.source.uri);
    if (typeof ledger === "string") bad("source.uri", `${describeValue(d.source.uri)} ${ledger}`);
    if (d.source.format !== undefined && d.source.format !== "ndjson") bad("source.format", "must be ndjson for a ledger:// source (its rows are materialized as NDJSON)");
  } else if (!/^(file|s3|https?):\/\//.test(d.source.uri)) {
    bad("source.uri", `must be a file://, s3://, https:// or http:// URI (got ${describeValue(d.source.uri)})`);
  }
  const uri = push !== undefined ? `push:${d.id}` : (d.source.uri ?? "");
  const ndjsonSource = push !== undefined || isLedgerUri(uri);
  const format = ndjsonSource ? "ndjson" : (d.source.format ?? formatFromUri(uri));
  if (format === undefined && d.source.uri !== undefined) {
    bad("source.format", `is required because source.uri ${describeValue(d.source.uri)} has no known extension (one of csv, json, ndjson, xlsx, parquet)`);
  }
  const givenOptions = (raw.source as { options?: Record<string, unknown> } | undefined)?.options ?? {};
  if (format !== undefined) {
    for (const key of Object.keys(givenOptions)) {
      const formats = OPTION_FORMATS[key];
      const isDefault = JSON.stringify(givenOptions[key]) === JSON.stringify(OPTION_DEFAULTS[key]);
      if (formats && !formats.includes(format) && !isDefault) bad(`source.options.${key}`, `applies only to ${formats.join(" and ")} sources, not ${format}`);
    }
  }
  const o = d.source.options;
  if (o.delimiter === o.quote) bad("source.options.quote", `must differ from the delimiter (both are ${describeValue(o.quote)})`);
  for (const [k, ch] of [["delimiter", o.delimiter], ["quote", o.quote], ["escape", o.escape], ["comment", o.comment]] as const) {
    if (ch !== undefined && (ch.charCodeAt(0) > 0x7f || ch === "\n" || ch === "\r")) bad(`source.options.${k}`, `must be an ASCII character other than a line break (got ${describeValue(ch)})`);
  }
  const options: SourceOptions = {
    ...o,
    encoding: o.encoding === "utf-8" || o.encoding === "utf8" ? "utf-8" : "windows-1252",
    skip_rows: o.skip_rows ?? 0,
  };

  const columns = d.schema.columns;
  const names = new Map<string, number>();
  const folded = new Map<string, number>();
  columns.forEach((c, i) => {
    const p = `schema.columns[${i}]`;
    const fold = foldCase(c.name);
    const prev = folded.get(fold);
    if (prev !== undefined && columns[prev].name === c.name) bad(`${p}.name`, `repeats schema.columns[${prev}].name ${describeValue(c.name)}; column names must be unique`);
    else if (prev !== undefined) bad(`${p}.name`, `${describeValue(c.name)} differs from schema.columns[${prev}].name ${describeValue(columns[prev].name)} only in letter case, which the engine (DuckDB) does not tell apart; rename one of them`);
    else folded.set(fold, i);
    if (!names.has(c.name)) names.set(c.name, i);
    if (RESERVED_COLUMN_NAMES.has(fold)) bad(`${p}.name`, `${describeValue(c.name)} is a name Tidemark's engine uses for its own columns; rename the column and keep reading the source field with from: ${describeValue(c.name)}`);
    if (c.format !== undefined) {
      if (c.type !== "date" && c.type !== "timestamp") bad(`${p}.format`, `applies only to date and timestamp columns, not ${c.type}`);
      else {
        const compiled = compileDatePattern(c.format);
        if (typeof compiled === "string") bad(`${p}.format`, `${compiled} (got ${describeValue(c.format)}); use tokens YYYY MM DD HH mm ss SSS, e.g. "DD/MM/YYYY"`);
      }
    }
    if (c.decimal !== undefined && c.type !== "decimal") bad(`${p}.decimal`, `applies only to decimal columns, not ${c.type}`);
    if (c.type === "decimal" && c.decimal === undefined) c.decimal = "string";
    if ((c.true_values || c.false_values) && c.type !== "bool") bad(`${p}.${c.true_values ? "true_values" : "false_values"}`, `applies only to bool columns, not ${c.type}`);
  });
  const known = columns.map((c) => c.name).join(", ");
  const seenKeys = new Set<string>();
  d.schema.key.forEach((k, i) => {
    if (!names.has(k)) bad(`schema.key[${i}]`, `names column ${describeValue(k)}, which is not in schema.columns (one of ${known})`);
    else if (seenKeys.has(k)) bad(`schema.key[${i}]`, `repeats column ${describeValue(k)}`);
    seenKeys.add(k);
  });
  const partition = partitionColumn(d.schema.partition_by);
  const givenPartition = (raw.schema as { partition_by?: unknown } | undefined)?.partition_by;
  const partitionPath = typeof givenPartition === "object" && givenPartition !== null ? "schema.partition_by.column" : "schema.partition_by";
  const part = names.get(partition);
  if (part === undefined) bad(partitionPath, `names column ${describeValue(partition)}, which is not in schema.columns (one of ${known})`);
  else if (columns[part].type !== "date" && columns[part].type !== "timestamp") {
    bad(partitionPath, `must name a date or timestamp column, but ${describeValue(partition)} is ${columns[part].type}`);
  }
  for (const c of columns) if (seenKeys.has(c.name)) c.nullable = false;

  if (d.unpivot) checkUnpivot(d, bad);

  const projectionNames = new Set<string>();
  d.projections.forEach((p, i) => {
    if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(p.name)) bad(`projections[${i}].name`, `must be 1–64 characters of a-z, 0-9, "_" or "-" (got ${describeValue(p.name)})`);
    else if (projectionNames.has(p.name)) bad(`projections[${i}].name`, `repeats ${describeValue(p.name)}`);
    projectionNames.add(p.name);
  });

  const sourceSecret = d.source.uri === undefined ? undefined : literalCredential(d.source.uri);
  if (sourceSecret) bad("source.uri", `carries a literal credential (${sourceSecret}); ${CREDENTIAL_FIX}`);

  d.notify.forEach((n, i) => {
    const hookSecret = literalCredential(n.url);
    if (hookSecret) bad(`notify[${i}].url`, `carries a literal credential (${hookSecret}); put secrets in headers as "\${ENV_NAME}"`);
    if (!/^https?:\/\/[^\s/]+/.test(n.url)) bad(`notify[${i}].url`, `must be an http:// or https:// URL (got ${describeValue(n.url)})`);
    if (/\$\{/.test(n.url)) bad(`notify[${i}].url`, `may not reference environment variables; put secrets in headers as "\${ENV_NAME}"`);
    for (const [h, v] of Object.entries(n.headers ?? {})) {
      const stripped = withoutEnvReferences(v);
      if (stripped.includes("${")) bad(`notify[${i}].headers.${h}`, `has a malformed reference; write environment variables as "\${ENV_NAME}" (got ${describeValue(v)})`);
      else if (SECRET_HEADER.test(h) && literalHeaderSecret(v)) bad(`notify[${i}].headers.${h}`, `must reference an environment variable such as "Bearer \${WEBHOOK_TOKEN}", never a literal secret`);
    }
  });

  if (d.schedule) {
    const { every, cron } = d.schedule;
    if ((every === undefined) === (cron === undefined)) bad("schedule", "must have exactly one of every or cron");
    if (every !== undefined && !/^[1-9][0-9]*(s|m|h|d)$/.test(every)) bad("schedule.every", `must be a duration like "30m", "1h" or "1d" (got ${describeValue(every)})`);
    if (cron !== undefined && cron.trim().split(/\s+/).length !== 5 && !cron.trim().startsWith("@")) bad("schedule.cron", `must have 5 fields (minute hour day-of-month month day-of-week) (got ${describeValue(cron)})`);
  }

  if (problems.length > 0) return problems;
  return { ...d, source: { uri, format: format as SourceFormat, options, ...(push !== undefined ? { push } : {}) } };
}

function checkUnpivot(d: Parsed, bad: (path: string, text: string) => void): void {
  const u = d.unpivot!;
  if (u.value_columns && u.value_pattern) bad("unpivot", "must have value_columns or value_pattern, not both");
  if (u.value_pattern !== undefined) {
    try {
      new RegExp(u.value_pattern);
    } catch (e) {
      bad("unpivot.value_pattern", `must be a valid regular expression (${(e as Error).message})`);
    }
  }
  if (u.name_to === u.value_to) bad("unpivot.value_to", `must differ from unpivot.name_to (both are ${describeValue(u.name_to)})`);
  u.id_columns.forEach((c, i) => {
    if (c === u.name_to || c === u.value_to) bad(`unpivot.id_columns[${i}]`, `must differ from name_to and value_to (got ${describeValue(c)})`);
    if (u.value_columns?.includes(c)) bad(`unpivot.id_columns[${i}]`, `is also listed in unpivot.value_columns (got ${describeValue(c)})`);
  });
  const produced = [...u.id_columns, u.name_to, u.value_to];
  d.schema.columns.forEach((c, i) => {
    if (!produced.includes(c.from)) {
      const path = c.from === c.name ? `schema.columns[${i}].name` : `schema.columns[${i}].from`;
      bad(path, `must be one of the unpivoted columns ${produced.join(", ")} (got ${describeValue(c.from)})`);
    }
  });
}
