import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { compileCacheFile, decodeCache, encodeCache, mergeEntries } from "../../src/cli/compile-cache";

const BIN = join(__dirname, "..", "..", "bin", "tidemark.js");
const dir = mkdtempSync(join(tmpdir(), "tidemark-compile-cache-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = async (env: Record<string, string>) => {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, "ingest", "--help"], { env: { ...process.env, ...env } });
  return { stdout, stderr };
};

describe("the CLI's compile cache (pure)", () => {
  it("reads back what it writes; anything else is an empty cache", () => {
    const entries = [{ key: "/a.js\0" + "1\0" + "2\0" + "3", data: Buffer.from([1, 2, 3]) }, { key: "/b.js\0" + "4\0" + "5\0" + "6", data: Buffer.alloc(0) }];
    expect([...decodeCache(encodeCache(entries))]).toEqual(entries.map((e) => [e.key, e.data]));
    expect(decodeCache(Buffer.from("not a cache")).size).toBe(0);
    expect(decodeCache(encodeCache(entries).subarray(0, -2)).size).toBe(0);
  });

  it("keeps earlier entries of other files and replaces those of files compiled again", () => {
    const earlier = new Map([["/a.js\0" + "old", Buffer.from("a")], ["/b.js\0" + "old", Buffer.from("b")]]);
    expect(mergeEntries(earlier, [{ key: "/a.js\0" + "new", data: Buffer.from("A") }]).map((e) => e.key)).toEqual(["/b.js\0old", "/a.js\0new"]);
  });

  it("lives under TIDEMARK_COMPILE_CACHE, else the user's cache directory, one file per Node version", () => {
    expect(compileCacheFile({ TIDEMARK_COMPILE_CACHE: "/x" })).toBe(`/x/node-${process.version}-${process.arch}.bin`);
    expect(compileCacheFile({ XDG_CACHE_HOME: "/c" })).toBe(`/c/tidemark/compile/node-${process.version}-${process.arch}.bin`);
  });
});

describe("tidemark with the compile cache [real processes]", () => {
  it("prints the same as without it, writes the Temporal SDK's code once, reuses all of it, and survives a corrupt cache", async () => {
    const plain = await run({ TIDEMARK_COMPILE_CACHE: "off" });
    const env = { TIDEMARK_COMPILE_CACHE: dir };
    const file = compileCacheFile(env);
    const first = await run(env);
    expect(first).toEqual(plain);
    const written = decodeCache(readFileSync(file));
    expect([...written.keys()].some((k) => k.includes("@temporalio/proto/protos/json-module.js"))).toBe(true);
    const before = statSync(file);
    expect(await run(env)).toEqual(plain);
    const after = statSync(file);
    expect([after.mtimeMs, after.size]).toEqual([before.mtimeMs, before.size]);

    writeFileSync(file, "tidemark-compile-cache/1\n[[\"x\",99999]]\n");
    expect(await run(env)).toEqual(plain);
    expect(decodeCache(readFileSync(file)).size).toBe(written.size);
  });
});
