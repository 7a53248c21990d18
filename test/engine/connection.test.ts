import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/connection";
import { OWNER } from "../../src/engine/temp-owner";

const temp = mkdtempSync(join(tmpdir(), "tidemark-connection-"));
const opened: Engine[] = [];
afterAll(() => {
  for (const e of opened) e.close();
});

async function open(): Promise<Engine> {
  const engine = await Engine.open({ memoryLimit: "64MB", threads: 1, tempDirectory: temp });
  opened.push(engine);
  return engine;
}

/** Fills a table of `rows` 100-byte strings (far beyond 64 MB), so DuckDB evicts its blocks to the spill directory; returns the files it spilled to and the table's checksum. */
async function spill(engine: Engine, rows: number): Promise<{ files: string[]; sum: number }> {
  return engine.with(async (c) => {
    await c.run(`CREATE TABLE big AS SELECT i, repeat(chr(65 + (i % 26)::INTEGER), 100) AS s FROM range(${rows}) t(i)`);
    const files = (await c.runAndReadAll("SELECT path FROM duckdb_temporary_files()")).getRowObjectsJS().map((r) => String(r.path));
    const [{ sum }] = (await c.runAndReadAll("SELECT sum(i + ascii(s))::DOUBLE AS sum FROM big")).getRowObjectsJS() as { sum: number }[];
    await c.run("DROP TABLE big");
    return { files, sum };
  });
}

describe("Engine.open", () => {
  it("gives every engine on one temp directory its own spill directory, and both spill into their own at once", async () => {
    const [a, b] = [await open(), await open()];
    expect(a.spillDirectory).not.toBe(b.spillDirectory);
    for (const e of [a, b]) expect(dirname(e.spillDirectory)).toBe(join(temp, "spill"));
    const [temporaryA] = await a.rows<{ v: string }>("SELECT current_setting('temp_directory') AS v");
    expect(temporaryA.v).toBe(a.spillDirectory);
    const flush = await a.rows<{ name: string; value: string }>("SELECT name, value FROM duckdb_settings() WHERE name LIKE 'allocator_%flush_threshold' ORDER BY name");
    expect(flush).toEqual([
      { name: "allocator_bulk_deallocation_flush_threshold", value: "32.0 MiB" },
      { name: "allocator_flush_threshold", value: "8.0 MiB" },
    ]);
    const rows = 2_000_000;
    let expected = 0;
    for (let i = 0; i < rows; i++) expected += i + 65 + (i % 26);
    const [sa, sb] = await Promise.all([spill(a, rows), spill(b, rows)]);
    expect(sa.files.length).toBeGreaterThan(0);
    expect(sb.files.length).toBeGreaterThan(0);
    expect(sa.files.every((f) => f.startsWith(`${a.spillDirectory}/`))).toBe(true);
    expect(sb.files.every((f) => f.startsWith(`${b.spillDirectory}/`))).toBe(true);
    expect([sa.sum, sb.sum]).toEqual([expected, expected]);
  });

  it("removes its directory on close, and at open what processes gone left: spill directories, task workspaces, cache downloads", async () => {
    const exited = spawnSync(process.execPath, ["-e", ""]).pid;
    expect(exited).toBeGreaterThan(0);
    const made = (path: string) => (mkdirSync(dirname(path), { recursive: true }), writeFileSync(path, "x"), path);
    const gone = [
      made(join(temp, "spill", `${exited}-deadbeef`, "duckdb_temp_block-1.block")),
      made(join(temp, "spill", `${process.pid}-0000000b`, "duckdb_temp_block-1.block")),
      made(join(temp, "spill", `${exited}-deadbeef-00000001`, "duckdb_temp_block-1.block")),
      made(join(temp, "work", `${exited}-deadbeef-1111`, "source.csv")),
      made(join(temp, "work", `${process.pid}-0badc0de-2222`, "source.csv")),
      made(join(temp, "cache", "objects", `abc123.${exited}-deadbeef-3333.part`)),
    ];
    const kept = [
      made(join(temp, "spill", `${OWNER}-0000000a`, "duckdb_temp_block-1.block")),
      made(join(temp, "work", `${OWNER}-4444`, "source.csv")),
      made(join(temp, "work", "legacy-untagged", "source.csv")),
      made(join(temp, "cache", "objects", "abc123.bin")),
      made(join(temp, "cache", "objects", `abc123.${OWNER}-5555.part`)),
    ];
    const engine = await open();
    for (const path of gone) expect(existsSync(dirname(path).endsWith("objects") ? path : dirname(path)), path).toBe(false);
    for (const path of kept) expect(existsSync(path), path).toBe(true);
    expect(existsSync(engine.spillDirectory)).toBe(true);
    engine.close();
    opened.splice(opened.indexOf(engine), 1);
    expect(existsSync(engine.spillDirectory)).toBe(false);
    expect(readdirSync(join(temp, "spill"))).toContain(`${OWNER}-0000000a`);
  });
});
