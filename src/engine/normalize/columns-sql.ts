/**
 * One output column of the normalized table as SQL over its raw source text: trimming, null
 * tokens, the typed value and the bad-cell reason, each as the JS sinks decide them
 * (src/normalize/cast.ts, sinks.ts, typed-sinks.ts). Pure.
 */
import type { ColumnDefinition, DatasetDefinition } from "../../definition/schema.js";
import { sqlString, sqlStringList } from "../sql.js";
import { type CastSql, doubleSql, integerSql } from "./numbers-sql.js";
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

/** SQL of one output column over its trimmed cell text. */
export interface ColumnSql {
  /** True when the (trimmed) text is a null token. */
  readonly isNull: string;
  /** The typed value (NULL for nulls and bad cells). */
  readonly value: string;
  /** Why the cell is bad, or NULL. */
  readonly reason: string;
}

const TRUE = ["true", "t", "yes", "y", "1"];
const FALSE = ["false", "f", "no", "n", "0"];

/** Characters JS `toLowerCase` maps onto ASCII letters besides A–Z: only the Kelvin sign. */
const KELVIN = "\u212a";

function boolSql(text: string, column: ColumnDefinition): CastSql | { unsupported: string } {
  const truthy = [...new Set((column.true_values ?? TRUE).map((t) => t.toLowerCase()))];
  const falsy = [...new Set((column.false_values ?? FALSE).map((t) => t.toLowerCase()))];
  if ([...truthy, ...falsy].some((t) => /[^\x00-\x7f]/.test(t))) return { unsupported: `column "${column.name}" has non-ASCII true/false values` };
  const folded = `replace(${text}, ${sqlString(KELVIN)}, 'k')`;
  const lower = `CASE WHEN regexp_matches(${folded}, '[^\\x00-\\x7f]') THEN NULL ELSE lower(${folded}) END`;
  const expected = [...new Set([...truthy, ...falsy])].join(", ");
  return {
    value: `CASE WHEN list_contains(${sqlStringList(truthy)}, ${lower}) THEN true WHEN list_contains(${sqlStringList(falsy)}, ${lower}) THEN false END`,
    reason: `CASE WHEN list_contains(${sqlStringList([...truthy, ...falsy])}, ${lower}) THEN NULL ELSE ${sqlString(`not a boolean (expected one of ${expected})`)} END`,
  };
}

/** The reason a null cell is bad in `column` (key, partition or not nullable), or null when nulls are allowed. */
export function nullReason(def: DatasetDefinition, column: ColumnDefinition): string | null {
  if (def.schema.key.includes(column.name)) return "not allowed in a key column";
  if (column.name === def.schema.partition_by) return "not allowed in the partition column";
  return column.nullable ? null : "not allowed because the column is not nullable";
}

function castSql(text: string, column: ColumnDefinition, dec: string): CastSql | { unsupported: string } {
  switch (column.type) {
    case "string":
      return { value: text, reason: "NULL" };
    case "int":
      return integerSql(text, dec);
    case "double":
      return doubleSql(text, dec);
    case "decimal":
      if (column.decimal === "double") return doubleSql(text, dec);
      return { unsupported: `column "${column.name}" is an exact decimal (kept as canonical text), which the engine does not produce yet` };
    case "bool":
      return boolSql(text, column);
    case "date":
    case "timestamp":
      return temporalSql(text, column);
  }
}

/** SQL of the cell text of `column` from the raw VARCHAR `raw`: blanks (space, tab) trimmed unless `trim: false`. */
export function trimSql(column: ColumnDefinition, raw: string): string {
  return column.trim ? `trim(${raw}, ' \t')` : raw;
}

/** The SQL of `column` over its trimmed, never NULL text `text` (see {@link trimSql}), or an unsupported reason. */
export function columnSql(def: DatasetDefinition, column: ColumnDefinition, text: string): ColumnSql | { unsupported: string } {
  const opts = def.source.options;
  const tokens = [...new Set(opts.null_values)];
  const isNull = tokens.length === 0 ? "false" : tokens.length === 1 ? `(${text} = ${sqlString(tokens[0])})` : `list_contains(${sqlStringList(tokens)}, ${text})`;
  const cast = castSql(text, column, opts.decimal_separator);
  if ("unsupported" in cast) return cast;
  const onNull = nullReason(def, column);
  return {
    isNull,
    value: `CASE WHEN ${isNull} THEN NULL ELSE ${cast.value} END::${duckdbType(column)}`,
    reason: `CASE WHEN ${isNull} THEN ${onNull === null ? "NULL" : sqlString(onNull)} ELSE ${cast.reason} END`,
  };
}
