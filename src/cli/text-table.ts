/** A cell as text output shows it: strings, numbers, booleans or null. */
export type Cell = string | number | boolean | null;

/** Lays out rows as aligned text columns under a header; numbers are right-aligned. */
export function textTable(header: string[], rows: Cell[][]): string {
  const text = rows.map((r) => r.map((c) => (c === null ? "" : typeof c === "number" ? c.toLocaleString("en-US", { maximumFractionDigits: 6 }) : String(c))));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === "number" || r[c] === null));
  const widths = header.map((h, c) => Math.max(h.length, ...text.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join("  ")
      .trimEnd();
  return [line(header), ...text.map(line)].join("\n");
}
