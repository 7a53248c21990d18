import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RESERVED_COLUMN_NAMES } from "../../src/definition/reserved";

/** Every `.ts` file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

describe("RESERVED_COLUMN_NAMES", () => {
  it("holds every underscore-prefixed column name the engine's SQL gives its own columns, and the reader's virtual columns it asks for", () => {
    const aliases = new Set<string>();
    for (const file of [...sources(join(__dirname, "../../src/engine")), ...sources(join(__dirname, "../../activities"))]) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/\bAS (_[a-z][a-z_]*)\b/g)) aliases.add(m[1]);
      for (const m of text.matchAll(/filename = '(\w+)'/g)) aliases.add(m[1]);
      for (const m of text.matchAll(/\b(file_row_number|filename) = true\b/g)) aliases.add(m[1]);
    }
    expect(aliases.size).toBeGreaterThan(5);
    expect([...aliases].filter((a) => !RESERVED_COLUMN_NAMES.has(a)).sort()).toEqual([]);
  });
});
