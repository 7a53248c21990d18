/**
 * One output column of the normalized table as SQL over its raw source text: trimming, null
 * tokens, the typed value and the bad-cell reason, each as the JS sinks decide them
 * (src/normalize/cast.ts, sinks.ts, typed-sinks.ts). Pure.
 */
import { partitionColumn } from "../../definition/partition.js";
import type { ColumnDefinition, DatasetDefinition } from "../../definition/schema.js";
import { FIRST_PARTITION_DAY, LAST_PARTITION_DAY, partitionRangeReason } from "../../normalize/partition-range.js";
import { sqlString, sqlStringList } from "../sql.js";
import { type CastSql, decimalSql, doubleSql, integerSql } from "./numbers-sql.js";
import { temporalSql } from "./temporal-sql.js";

/** DuckDB type of each column type, as the JS path's Arrow types land in Parquet. */
export function duckdbType(column: ColumnDefinition): string {
  switch (column.type) {
    case "string":
      return "VARCHAR";
    case "int":
      return "BIGINT";
    case "double":
      return "DOUBLE";
    case "decimal":
      return column.decimal === "double" ? "DOUBLE" : "VARCHAR";
    case "bool":
      return "BOOLEAN";
    case "date":
      return "DATE";
    case "timestamp":
      return "TIMESTAMPTZ";
  }
}

const TRUE = ["true", "t", "yes", "y", "1"];
const FALSE = ["false", "f", "no", "n", "0"];

/** Characters JS `toLowerCase` maps onto ASCII letters besides A–Z: only the Kelvin sign. */
const KELVIN = "\u212a";

function boolSql(column: ColumnDefinition): CastSql | { unsupported: string } {
  const truthy = [...new Set((column.true_values ?? TRUE).map((t) => t.toLowerCase()))];
  const falsy = [...new Set((column.false_values ?? FALSE).map((t) => t.toLowerCase()))];
  if ([...truthy, ...falsy].some((t) => /[^\x00-\x7f]/.test(t))) return { unsupported: `column "${column.name}" has non-ASCII true/false values` };
  const expected = [...new Set([...truthy, ...falsy])].join(", ");
  return {
    parse: (t) => {
      const folded = `replace(${t}, ${sqlString(KELVIN)}, 'k')`;
      const lower = `CASE WHEN regexp_matches(${folded}, '[^\\x00-\\x7f]') THEN NULL ELSE lower(${folded}) END`;
      return `CASE WHEN list_contains(${sqlStringList(truthy)}, ${lower}) THEN true WHEN list_contains(${sqlStringList(falsy)}, ${lower}) THEN false END`;
    },
    value: (p) => p,
    shape: () => "false",
    failure: () => sqlString(`not a boolean (expected one of ${expected})`),
    shaped: "NULL",
  };
}

/** The reason a null cell is bad in `column` (key, partition or not nullable), or null when nulls are allowed. */
export function nullReason(def: DatasetDefinition, column: ColumnDefinition): string | null {
  if (def.schema.key.includes(column.name)) return "not allowed in a key column";
  if (column.name === partitionColumn(def.schema.partition_by)) return "not allowed in the partition column";
  return column.nullable ? null : "not allowed because the column is not nullable";
}

const STRING: CastSql = { parse: (t) => t, value: (p) => p, shape: () => "false", failure: () => "NULL", shaped: "NULL" };

function castSql(column: ColumnDefinition, dec: string): CastSql | { unsupported: string } {
  switch (column.type) {
    case "string":
      return STRING;
    case "int":
      return integerSql(dec);
    case "double":
      return doubleSql(dec);
    case "decimal":
      return column.decimal === "double" ? doubleSql(dec) : decimalSql(dec);
    case "bool":
      return boolSql(column);
    case "date":
    case "timestamp":
      return temporalSql(column);
  }
}

/**
 * SQL of the cell text of `column` from the raw VARCHAR `raw`: blanks (space, tab) trimmed unless
 * `trim: false`. DuckDB's `trim` is slow, so it only runs on cells that start or end with a blank.
 */
export function trimSql(column: ColumnDefinition, raw: string): string {
  if (!column.trim) return raw;
  const edge = ["' %'", "'\t%'", "'% '", "'%\t'"].map((pattern) => `${raw} LIKE ${pattern}`).join(" OR ");
  return `CASE WHEN ${edge} THEN trim(${raw}, ' \t') ELSE ${raw} END`;
}

/** SQL of one output column, in the steps of the staging query. */
export interface ColumnSql {
  /** Over the trimmed text `t`: whether it is a null token. */
  readonly isNull: (t: string) => string;
  /** Over `t`: the parsed intermediate (see {@link CastSql}). */
  readonly parse: (t: string) => string;
  /** Over the parsed `p`: the typed value, NULL for cells that do not cast (a partition value may be non-NULL and still bad). */
  readonly value: (p: string) => string;
  /** Over `t`, `p`, the null flag `n` and the value `v`: why the cell is bad, or NULL. */
  readonly reason: (t: string, p: string, n: string, v: string) => string;
  /** Over the null flag `n` and the value `v`: whether the cell is bad (cheaper than its reason); a bad cell's text is reported. */
  readonly bad: (n: string, v: string) => string;
}

const DAY_US = 86_400_000_000n;

/** SQL: the typed value `x` of the partition column has a UTC date in the partition years (`TemporalSink` with `partition`). */
export function inPartitionRangeSql(column: ColumnDefinition, x: string): string {
  if (column.type === "date") return `((${x} - DATE '1970-01-01') BETWEEN ${FIRST_PARTITION_DAY} AND ${LAST_PARTITION_DAY})`;
  return `(epoch_us(${x}) BETWEEN ${BigInt(FIRST_PARTITION_DAY) * DAY_US} AND ${BigInt(LAST_PARTITION_DAY + 1) * DAY_US - 1n})`;
}

/** The SQL of `column`, or an unsupported reason. */
export function columnSql(def: DatasetDefinition, column: ColumnDefinition): ColumnSql | { unsupported: string } {
  const opts = def.source.options;
  const tokens = [...new Set(opts.null_values)];
  const cast = castSql(column, opts.decimal_separator);
  if ("unsupported" in cast) return cast;
  const onNull = nullReason(def, column);
  const type = duckdbType(column);
  const ranged = column.name === partitionColumn(def.schema.partition_by) && (column.type === "date" || column.type === "timestamp");
  const outside = (v: string) => (ranged ? ` OR NOT ${inPartitionRangeSql(column, v)}` : "");
  const outsideReason = (v: string) => (ranged ? ` WHEN NOT ${inPartitionRangeSql(column, v)} THEN ${sqlString(partitionRangeReason(column.type as "date" | "timestamp"))}` : "");
  return {
    isNull: (t) => (tokens.length === 0 ? "false" : tokens.length === 1 ? `(${t} = ${sqlString(tokens[0])})` : `list_contains(${sqlStringList(tokens)}, ${t})`),
    parse: cast.parse,
    value: (p) => `(${cast.value(p)})::${type}`,
    bad: (n, v) => (onNull === null ? `(NOT ${n} AND ${ranged ? `(${v} IS NULL${outside(v)})` : `${v} IS NULL`})` : `(${n} OR ${v} IS NULL${outside(v)})`),
    reason: (t, p, n, v) =>
      `CASE WHEN ${n} THEN ${onNull === null ? "NULL" : sqlString(onNull)}${outsideReason(v)} WHEN ${v} IS NOT NULL THEN NULL WHEN ${cast.shape(p)} THEN ${cast.shaped} ELSE ${cast.failure(t)} END`,
  };
}
