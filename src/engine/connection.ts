import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { engineSettingsFromEnv, type EngineSettings } from "./settings";

/**
 * The worker's DuckDB engine: one in-memory database per process, a connection per task. Queries
 * run on DuckDB's own threads, so the event loop (heartbeats, other activities) stays free.
 */
export class Engine {
  private constructor(
    private readonly instance: DuckDBInstance,
    /** The settings the engine was opened with. */
    readonly settings: EngineSettings,
  ) {}

  /** Opens an engine with `settings` (spill directory created). */
  static async open(settings: EngineSettings = engineSettingsFromEnv()): Promise<Engine> {
    const spill = join(settings.tempDirectory, "spill");
    await mkdir(spill, { recursive: true });
    const instance = await DuckDBInstance.create(":memory:", {
      memory_limit: settings.memoryLimit,
      threads: String(settings.threads),
      temp_directory: spill,
      preserve_insertion_order: "true",
      enable_external_access: "true",
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
    });
    return new Engine(instance, settings);
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

  /** Closes the database. */
  close(): void {
    this.instance.closeSync();
  }
}

let shared: Promise<Engine> | undefined;

/** The process-wide engine, opened on first use from the environment. */
export function sharedEngine(): Promise<Engine> {
  shared ??= Engine.open();
  return shared;
}


