/**
 * A V8 code cache for the CLI's CommonJS modules (Node 20 has no `module.enableCompileCache`):
 * compiling the Temporal SDK and its protobuf definitions is the largest part of a short command's
 * start. Each module is compiled with the code V8 cached for it by an earlier run, and the cache is
 * written back at exit when it grew. A module is found in the cache only with the same path, size,
 * modification time and inode; anything unexpected (no writable directory, a corrupt file) leaves
 * modules compiled as usual.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import Module from "node:module";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import vm from "node:vm";

interface Entry {
  key: string;
  data: Buffer;
}

interface InternalModule {
  exports: unknown;
  require(id: string): unknown;
  _compile(content: string, filename: string): unknown;
}

interface ModuleStatics {
  wrap(content: string): string;
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
  _resolveLookupPaths(request: string, parent: unknown): string[] | null;
  _extensions: unknown;
  _cache: unknown;
  prototype: InternalModule;
}

const MAGIC = "tidemark-compile-cache/1\n";

/** A module that may call `import()` is compiled by Node: a script compiled here could not (its referrer is not kept in V8's cache). */
const DYNAMIC_IMPORT = /\bimport\s*\(/;

/** Where the cache of this Node version lives: `TIDEMARK_COMPILE_CACHE`, else `$XDG_CACHE_HOME/tidemark` or `~/.cache/tidemark`. */
export function compileCacheFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.TIDEMARK_COMPILE_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "tidemark", "compile");
  return join(base, `node-${process.version}-${process.arch}.bin`);
}

/** The validity key of a module file: path, size, mtime and inode. */
function keyOf(filename: string): string | null {
  try {
    const s = statSync(filename, { bigint: true });
    return `${filename}\0${s.size}\0${s.mtimeNs}\0${s.ino}`;
  } catch {
    return null;
  }
}

/** Parses a cache file: the magic line, a JSON list of [key, length], then the data back to back. Pure. */
export function decodeCache(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (buf.subarray(0, MAGIC.length).toString("latin1") !== MAGIC) return out;
  const nl = buf.indexOf(10, MAGIC.length);
  if (nl < 0) return out;
  const index = JSON.parse(buf.toString("utf8", MAGIC.length, nl)) as [string, number][];
  let at = nl + 1;
  for (const [key, length] of index) {
    if (at + length > buf.length) return new Map();
    out.set(key, buf.subarray(at, at + length));
    at += length;
  }
  return out;
}

/** Serializes entries in the format {@link decodeCache} reads. Pure. */
export function encodeCache(entries: readonly Entry[]): Buffer {
  const index = JSON.stringify(entries.map((e) => [e.key, e.data.length]));
  return Buffer.concat([Buffer.from(MAGIC + index + "\n", "utf8"), ...entries.map((e) => e.data)]);
}

/**
 * Compiles CommonJS modules loaded from now on (but those that may call `import()`) with the cached
 * code of `file`, and writes the cache at exit when a module was compiled without it.
 */
export function enableCompileCache(file = compileCacheFile()): void {
  let cached: Map<string, Buffer>;
  try {
    cached = decodeCache(readFileSync(file));
  } catch {
    cached = new Map();
  }
  const fresh: { key: string; script: vm.Script }[] = [];
  const M = Module as unknown as ModuleStatics;
  const compile = M.prototype._compile;
  M.prototype._compile = function (this: InternalModule, content: string, filename: string, ...rest: unknown[]): unknown {
    const key = (filename.endsWith(".js") || filename.endsWith(".cjs")) && !DYNAMIC_IMPORT.test(content) ? keyOf(filename) : null;
    if (key === null) return (compile as (...a: unknown[]) => unknown).call(this, content, filename, ...rest);
    const data = cached.get(key);
    const source = content.startsWith("#!") ? `//${content.slice(2)}` : content;
    const script = new vm.Script(M.wrap(source), { filename, cachedData: data });
    if (!data || script.cachedDataRejected) fresh.push({ key, script });
    const fn = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    return fn.call(this.exports, this.exports, requireFor(M, this), this, filename, dirname(filename));
  };
  process.once("exit", () => {
    if (fresh.length === 0) return;
    try {
      const entries = mergeEntries(cached, fresh.map(({ key, script }) => ({ key, data: script.createCachedData() })));
      mkdirSync(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, encodeCache(entries));
      renameSync(tmp, file);
    } catch {
      /* a cache that cannot be written only costs the next run its compile time */
    }
  });
}

/** The cache after a run: its new entries, and the earlier ones of every other file. Pure. */
export function mergeEntries(earlier: ReadonlyMap<string, Buffer>, fresh: readonly Entry[]): Entry[] {
  const fileOf = (key: string) => key.slice(0, key.indexOf("\0"));
  const renewed = new Set(fresh.map((e) => fileOf(e.key)));
  return [...[...earlier].filter(([key]) => !renewed.has(fileOf(key))).map(([key, data]) => ({ key, data })), ...fresh];
}

/** The `require` a module's code sees, as Node builds it. */
function requireFor(M: ModuleStatics, mod: InternalModule): NodeJS.Require {
  const r = ((id: string) => mod.require(id)) as NodeJS.Require;
  const resolve = ((request: string, options?: unknown) => M._resolveFilename(request, mod, false, options)) as NodeJS.RequireResolve;
  resolve.paths = (request: string) => M._resolveLookupPaths(request, mod);
  r.resolve = resolve;
  r.main = require.main;
  r.extensions = M._extensions as NodeJS.RequireExtensions;
  r.cache = M._cache as NodeJS.Dict<NodeModule>;
  return r;
}
