import { parseDefinition } from "../../src/definition";
import type { SourceOptions } from "../../src/definition";
import type { RawBatch } from "../../src/formats";

/** Yields `bytes` in chunks of `size` bytes (to exercise every chunk boundary). */
export async function* chunked(bytes: Uint8Array | string, size = 7): AsyncGenerator<Uint8Array> {
  const buf = typeof bytes === "string" ? Buffer.from(bytes) : Buffer.from(bytes);
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

/** Source options with defaults, overridden by `yamlOptions` (a flow mapping such as `{ delimiter: ";" }`). */
export function sourceOptions(format: string, yamlOptions = "{}"): SourceOptions {
  return parseDefinition(
    `id: t
source: { uri: "file:///x.${format}", options: ${yamlOptions} }
schema: { columns: [{ name: d, type: date }], key: [d], partition_by: d }
`,
    "t.yaml",
  ).source.options;
}

/** All rows of all batches as arrays of cell text, plus row numbers, names and problems. */
export async function collect(batches: AsyncIterable<RawBatch>): Promise<{ names: readonly string[]; rows: (string | null)[][]; lines: number[]; problems: string[] }> {
  let names: readonly string[] = [];
  const rows: (string | null)[][] = [];
  const lines: number[] = [];
  const problems: string[] = [];
  for await (const b of batches) {
    names = b.names;
    for (const p of b.problems) problems.push(`${b.rows[p.index]}: ${p.reason}`);
    for (let i = 0; i < b.length; i++) {
      rows.push(b.names.map((_, c) => b.column(c).text(i)));
      lines.push(b.rows[i]);
    }
  }
  return { names, rows, lines, problems };
}
