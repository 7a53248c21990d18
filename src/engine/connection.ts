import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { engineSettingsFromEnv, type EngineSettings } from "./settings";
import { OWNER, sweepGone } from "./temp-owner";

/**
 * A spill directory of this engine alone, `<temp>/spill/<owner>-<id>`: DuckDB names its spill files
 * the same in every database, so two engines (workers on one host, tests) sharing a directory
 * overwrite each other's spilled blocks. Leftovers of processes gone are removed first: spill
 * directories, task workspaces (`work/`) and object-cache downloads (`cache/objects/*.part`).
 */
async function ownSpillDirectory(tempDirectory: string): Promise<string> {
  const root = join(tempDirectory, "spill");
  await mkdir(root, { recursive: true });
  await Promise.all([
    sweepGone(root, (name) => (/^\d+-[0-9a-f]{8}$/.test(name) ? `${name}-` : name)),
    sweepGone(join(tempDirectory, "work")),
    sweepGone(join(tempDirectory, "cache", "objects"), (name) => (name.endsWith(".part") ? name.slice(name.indexOf(".") + 1) : "")),
  ]);
  const dir = join(root, `${OWNER}-${randomUUID().slice(0, 8)}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/**
 * How eagerly DuckDB hands freed memory back to the OS. With glibc's allocator DuckDB trims the heap
 * when a thread goes idle (keeping `allocator_flush_threshold` per thread) and after a bulk free
 * larger than `allocator_bulk_deallocation_flush_threshold`; at the defaults (128 MiB, 512 MiB) the
 * freed memory of one step stayed resident into the next, so the worker's RSS ran far past
 * `memory_limit` (bench P7 at a 1 GB limit: 1.9 GB while loading the source table; 1.2 GB with these).
 */
const ALLOCATOR_FLUSH = { allocator_flush_threshold: "8MiB", allocator_bulk_deallocation_flush_threshold: "32MiB" };

/**
 * The worker's DuckDB engine: one in-memory database per process, a connection per task. Queries
 * run on DuckDB's own threads, so the event loop (heartbeats, other activities) stays free.
 */
export class Engine {
  private constructor(
    private readonly instance: DuckDBInstance,
    /** The settings the engine was opened with. */
    readonly settings: EngineSettings,
    /** The engine's own spill directory (removed by {@link Engine.close}). */
    readonly spillDirectory: string,
  ) {}

  /** Opens an engine with `settings` (its own spill directory created). */
  static async open(settings: EngineSettings = engineSettingsFromEnv()): Promise<Engine> {
    const spill = await ownSpillDirectory(settings.tempDirectory);
    const instance = await DuckDBInstance.create(":memory:", {
      memory_limit: settings.memoryLimit,
      threads: String(settings.threads),
      temp_directory: spill,
      preserve_insertion_order: "true",
      ...ALLOCATOR_FLUSH,
      enable_external_access: "true",
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
    });
    return new Engine(instance, settings, spill);
  }

  /** A new connection (UTC time zone); the caller closes it. */
  async connect(): Promise<DuckDBConnection> {
    const connection = await this.instance.connect();
    await connection.run("SET TimeZone = 'UTC'");
    return connection;
  }

  /** Runs `fn` on a fresh connection, closed afterwards. */
  async with<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const connection = await this.connect();
    try {
      return await fn(connection);
    } finally {
      connection.closeSync();
    }
  }

  /** Rows of `sql` as plain objects (for small results: counts, plans). */
  async rows<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    return this.with(async (c) => (await c.runAndReadAll(sql)).getRowObjectsJS() as T[]);
  }

  /** Closes the database and removes its spill directory. */
  close(): void {
    this.instance.closeSync();
    rmSync(this.spillDirectory, { recursive: true, force: true });
  }
}

let shared: Promise<Engine> | undefined;

/** The process-wide engine, opened on first use from the environment. */
export function sharedEngine(): Promise<Engine> {
  shared ??= Engine.open();
  return shared;
}
