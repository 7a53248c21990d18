/**
 * Scale check of hashing and delta planning (not a test): a base index of
 * `--base` keys (default 10M) and a source of `--source` rows (default 1M; 1 %
 * updated, 1 % new, the rest unchanged). Each phase runs in its own process so
 * its peak RSS is its own:
 *
 *   prepare  hash the base dataset and write its sorted index as shard files
 *   memory   load the whole base into a KeyIndex, planDelta, export the next index
 *   stream   planDeltaStreaming over the shard files, writing the next index as shards
 *
 * Run (vitest 4 no longer ships vite-node, so compile with the project's tsc):
 *   npx tsc --outDir node_modules/.cache/tidemark-bench --rootDir . --module node16 --moduleResolution node16 \
 *     --target es2022 --strict --skipLibCheck --esModuleInterop --types node bench/delta-scale.ts
 *   node node_modules/.cache/tidemark-bench/bench/delta-scale.js [--base 10000000] [--source 1000000] [--json out.json]
 */
import { spawnSync } from "node:child_process";
import { closeSync, createReadStream, mkdirSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Data,
  DateDay,
  Dictionary,
  Float64,
  Int32,
  RecordBatch,
  RecordBatchReader,
  Table,
  TimestampMicrosecond,
  Utf8,
  makeData,
  makeVector,
  tableToIPC,
} from "apache-arrow";
import {
  type IndexChunk,
  KeyIndex,
  indexChunkToRecordBatch,
  indexChunks,
  keyIndexToTable,
  loadKeyIndex,
  planDelta,
  planDeltaStreaming,
} from "../src/delta";
import { hashColumns } from "../src/hash";

const KEY = ["series_id", "obs_date"];
const NON_KEY = ["value", "status", "revised_at"];
const DAYS = 3650;
const FIRST_DAY = Date.UTC(2015, 0, 1) / 86_400_000;
const SHARD_ROWS = 1 << 20;

interface Options {
  base: number;
  source: number;
  dir: string;
}

type Figures = Record<string, number | string>;

function now(): number {
  return performance.now();
}

function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

const MONTH_OF_DAY = Int32Array.from({ length: DAYS }, (_, d) => {
  const date = new Date((FIRST_DAY + d) * 86_400_000);
  return date.getUTCFullYear() * 100 + date.getUTCMonth() + 1;
});

/**
 * Rows `ids[i]` of the synthetic dataset: key (series `S` + 9 digits, day),
 * value `id / 4` (+1 when `bumped`), a 3-value dictionary status and a timestamp.
 */
function datasetTable(ids: Int32Array | ((i: number) => number), n: number, bumped: (i: number) => boolean): { table: Table; months: Int32Array } {
  const idOf = typeof ids === "function" ? ids : (i: number) => ids[i];
  const offsets = new Int32Array(n + 1);
  const bytes = new Uint8Array(n * 10);
  const days = new Int32Array(n);
  const months = new Int32Array(n);
  const values = new Float64Array(n);
  const status = new Int32Array(n);
  const revised = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const id = idOf(i);
    let series = Math.floor(id / DAYS);
    const o = i * 10;
    bytes[o] = 83;
    for (let p = 9; p >= 1; p--, series = Math.floor(series / 10)) bytes[o + p] = 48 + (series % 10);
    offsets[i + 1] = o + 10;
    const day = id % DAYS;
    days[i] = FIRST_DAY + day;
    months[i] = MONTH_OF_DAY[day];
    values[i] = id / 4 + (bumped(i) ? 1 : 0);
    status[i] = id % 3;
    revised[i] = BigInt(1_700_000_000_000_000 + (id % 1000) * 1_000_000);
  }
  const dict = makeVector(makeData({ type: new Utf8(), length: 3, nullCount: 0, valueOffsets: new Int32Array([0, 5, 16, 23]), data: new TextEncoder().encode("finalprovisionalrevised") }));
  const col = (data: Data) => makeVector(data);
  const table = new Table({
    series_id: col(makeData({ type: new Utf8(), length: n, nullCount: 0, valueOffsets: offsets, data: bytes })),
    obs_date: col(makeData({ type: new DateDay(), length: n, nullCount: 0, data: days })),
    value: col(makeData({ type: new Float64(), length: n, nullCount: 0, data: values })),
    status: col(makeData({ type: new Dictionary(new Utf8(), new Int32()), length: n, nullCount: 0, data: status, dictionary: dict })),
    revised_at: col(makeData({ type: new TimestampMicrosecond("UTC"), length: n, nullCount: 0, data: revised })),
  });
  return { table, months };
}

function writeShard(dir: string, shard: number, batches: RecordBatch[]): void {
  const fd = openSync(join(dir, `keys-${String(shard).padStart(2, "0")}.arrows`), "w");
  writeSync(fd, tableToIPC(new Table(batches), "stream"));
  closeSync(fd);
}

/** Groups index chunks into shard files of about {@link SHARD_ROWS} entries. */
class ShardWriter {
  private pending: RecordBatch[] = [];
  private rows = 0;
  private total = 0;
  private shard = 0;

  constructor(private readonly dir: string) {}

  add(chunk: IndexChunk): void {
    this.pending.push(indexChunkToRecordBatch(chunk));
    this.rows += chunk.length;
    this.total += chunk.length;
    if (this.rows >= SHARD_ROWS) this.flush();
  }

  finish(): number {
    if (this.pending.length > 0) this.flush();
    return this.total;
  }

  private flush(): void {
    writeShard(this.dir, this.shard++, this.pending);
    this.pending = [];
    this.rows = 0;
  }
}

async function* shardBatches(dir: string): AsyncGenerator<RecordBatch> {
  for (const name of readdirSync(dir).filter((f) => f.startsWith("keys-")).sort()) {
    const reader = await RecordBatchReader.from(createReadStream(join(dir, name)));
    for await (const batch of reader) yield batch;
  }
}

function prepare(o: Options): Figures {
  let hashMs = 0;
  let buildMs = 0;
  const index = new KeyIndex(o.base);
  const step = 1_000_000;
  for (let start = 0; start < o.base; start += step) {
    const n = Math.min(step, o.base - start);
    const { table, months } = datasetTable((i) => start + i, n, () => false);
    let t = now();
    const keys = hashColumns(table, KEY);
    const rows = hashColumns(table, NON_KEY);
    hashMs += now() - t;
    t = now();
    index.addChunk({ length: n, keyHashes: keys, rowHashes: rows, months });
    buildMs += now() - t;
  }
  const t = now();
  const baseDir = join(o.dir, "base");
  mkdirSync(baseDir, { recursive: true });
  const batches = keyIndexToTable(index, 65536).batches;
  for (let s = 0; s * 16 < batches.length; s++) writeShard(baseDir, s, batches.slice(s * 16, s * 16 + 16));
  return {
    base_keys: o.base,
    hash_rows_per_s: Math.round(o.base / (hashMs / 1000)),
    index_build_ms: Math.round(buildMs),
    index_mb: Math.round(index.byteLength / 2 ** 20),
    sort_and_write_ms: Math.round(now() - t),
    peak_rss_mb: peakRssMb(),
  };
}

function sourceTable(o: Options): { table: Table; months: Int32Array } {
  const existing = Math.round(o.source * 0.99);
  const stride = Math.max(1, Math.floor(o.base / existing));
  const updateEvery = 99;
  const id = (i: number) => (i < existing ? i * stride : o.base + (i - existing));
  return datasetTable(id, o.source, (i) => i < existing && i % updateEvery === 0);
}

function hashSource(o: Options, figures: Figures) {
  const { table, months } = sourceTable(o);
  let t = now();
  const keyHashes = hashColumns(table, KEY);
  figures.source_key_hash_ms = Math.round(now() - t);
  t = now();
  const rowHashes = hashColumns(table, NON_KEY);
  figures.source_row_hash_ms = Math.round(now() - t);
  figures.hash_rows_per_s = Math.round(o.source / ((+figures.source_key_hash_ms + +figures.source_row_hash_ms) / 1000));
  return { keyHashes, rowHashes, months, rowCount: o.source, mode: "upsert" as const, duplicates: "error" as const };
}

async function memory(o: Options): Promise<Figures> {
  const figures: Figures = { base_keys: o.base, source_rows: o.source };
  const input = hashSource(o, figures);
  let t = now();
  const base = await loadKeyIndex(shardBatches(join(o.dir, "base")), o.base);
  figures.load_base_ms = Math.round(now() - t);
  t = now();
  const plan = planDelta({ ...input, base, consumeBase: true });
  figures.plan_ms = Math.round(now() - t);
  t = now();
  const outDir = join(o.dir, "next-memory");
  mkdirSync(outDir, { recursive: true });
  const shards = new ShardWriter(outDir);
  for (const chunk of plan.nextIndex.chunks()) shards.add(chunk);
  figures.next_index_rows = shards.finish();
  figures.write_next_index_ms = Math.round(now() - t);
  Object.assign(figures, { inserted: plan.counts.inserted, updated: plan.counts.updated, unchanged: plan.counts.unchanged });
  figures.peak_rss_mb = peakRssMb();
  return figures;
}

async function stream(o: Options): Promise<Figures> {
  const figures: Figures = { base_keys: o.base, source_rows: o.source };
  const input = hashSource(o, figures);
  const outDir = join(o.dir, "next");
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const shards = new ShardWriter(outDir);
  let readMs = 0;
  let writeMs = 0;
  async function* timedBase(): AsyncGenerator<IndexChunk> {
    const it = indexChunks(shardBatches(join(o.dir, "base")));
    for (;;) {
      const r0 = now();
      const next = await it.next();
      readMs += now() - r0;
      if (next.done) return;
      yield next.value;
    }
  }
  const t = now();
  const plan = await planDeltaStreaming({
    ...input,
    base: timedBase(),
    onIndexChunk: (chunk: IndexChunk) => {
      const w0 = now();
      shards.add(chunk);
      writeMs += now() - w0;
    },
  });
  shards.finish();
  figures.read_base_ms = Math.round(readMs);
  figures.write_next_index_ms = Math.round(writeMs);
  figures.plan_ms = Math.round(now() - t - readMs - writeMs);
  figures.plan_and_write_next_index_ms = Math.round(now() - t);
  figures.next_index_rows = plan.nextIndexSize;
  Object.assign(figures, { inserted: plan.counts.inserted, updated: plan.counts.updated, unchanged: plan.counts.unchanged });
  figures.peak_rss_mb = peakRssMb();
  return figures;
}

function parse(argv: string[]): Options & { phase?: string; json?: string } {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    base: Number(get("base") ?? 10_000_000),
    source: Number(get("source") ?? 1_000_000),
    dir: get("dir") ?? join(tmpdir(), "tidemark-delta-scale"),
    phase: get("phase"),
    json: get("json"),
  };
}

/** A fixed integer loop and the load average, so figures from different machines can be compared. */
function machine(): Figures {
  const t = now();
  let x = 0;
  for (let i = 0; i < 1e8; i++) x = (x + i * 7) | 0;
  return { node: process.version, calibration_loop_ms: Math.round(now() - t) + (x & 0), load_average_1m: loadavg()[0].toFixed(1) };
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  if (o.phase) {
    const run = { prepare: async () => prepare(o), memory: () => memory(o), stream: () => stream(o) }[o.phase];
    if (!run) throw new Error(`Unknown phase "${o.phase}"; use prepare, memory or stream.`);
    process.stdout.write(JSON.stringify(await run()) + "\n");
    return;
  }
  rmSync(o.dir, { recursive: true, force: true });
  const results: Record<string, Figures> = { machine: machine() };
  console.log(`machine  ${JSON.stringify(results.machine)}`);
  for (const phase of ["prepare", "memory", "stream"]) {
    const args = [process.argv[1], "--phase", phase, "--base", String(o.base), "--source", String(o.source), "--dir", o.dir];
    const child = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 20 });
    if (child.status !== 0) throw new Error(`Phase ${phase} failed:\n${child.stderr}`);
    results[phase] = JSON.parse(child.stdout.trim().split("\n").pop() ?? "{}") as Figures;
    console.log(`${phase.padEnd(8)} ${JSON.stringify(results[phase])}`);
  }
  rmSync(o.dir, { recursive: true, force: true });
  if (o.json) writeFileSync(o.json, JSON.stringify(results, null, 2) + "\n");
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exitCode = 1;
});
