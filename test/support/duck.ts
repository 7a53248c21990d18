import {
  DuckDBBlobValue,
  type DuckDBConnection,
  DuckDBDateValue,
  DuckDBInstance,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from "@duckdb/node-api";

/** An in-memory DuckDB session pinned to UTC. */
export async function openDuck(): Promise<{ conn: DuckDBConnection; close: () => void }> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  await conn.run("SET TimeZone = 'UTC'");
  return {
    conn,
    close: () => {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/** A SQL string literal. */
export function lit(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Runs `sql` and returns rows with values made comparable to `readRow` in fixtures. */
export async function rows(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const result = await conn.runAndReadAll(sql);
  return result.getRowObjects().map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])));
}

function plain(v: DuckDBValue): unknown {
  if (v instanceof DuckDBDateValue) return v.days;
  if (v instanceof DuckDBTimestampTZValue || v instanceof DuckDBTimestampValue) return v.micros;
  if (v instanceof DuckDBBlobValue) return Buffer.from(v.bytes).toString("hex");
  return v;
}
