/** A SQL string literal of `value` (single quotes doubled). */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A quoted SQL identifier of `name` (double quotes doubled). */
export function sqlIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A SQL list literal of string values, e.g. `['a', 'b']`. */
export function sqlStringList(values: readonly string[]): string {
  return `[${values.map(sqlString).join(", ")}]`;
}
