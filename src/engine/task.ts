import { randomUUID } from "node:crypto";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Engine } from "./connection";
import { engineError } from "./errors";
import { sqlIdent } from "./sql";

/**
 * One unit of engine work: a private schema for its tables (dropped at the end) and a pool of
 * connections, so independent statements (one file per month) run side by side.
 */
export class EngineTask {
  /** Quoted name of the task's schema; qualify table names with it. */
  readonly schema: string;

  private constructor(
    private readonly connections: DuckDBConnection[],
    name: string,
    private readonly memoryLimit: string,
  ) {
    this.schema = sqlIdent(name);
  }

  /** Runs `fn` in a new task on `engine` with `lanes` connections. */
  static async run<T>(engine: Engine, lanes: number, fn: (task: EngineTask) => Promise<T>): Promise<T> {
    const connections = await Promise.all(Array.from({ length: Math.max(1, lanes) }, () => engine.connect()));
    const task = new EngineTask(connections, `task_${randomUUID().replaceAll("-", "")}`, engine.settings.memoryLimit);
    try {
      await task.exec(`CREATE SCHEMA ${task.schema}`);
      return await fn(task);
    } finally {
      await task.exec(`DROP SCHEMA IF EXISTS ${task.schema} CASCADE`).catch(() => undefined);
      for (const c of connections) c.closeSync();
    }
  }

  /** `name` qualified with the task's schema. */
  table(name: string): string {
    return `${this.schema}.${sqlIdent(name)}`;
  }

  /** The task's first connection, for code that drives DuckDB itself. */
  get connection(): DuckDBConnection {
    return this.connections[0];
  }

  /** Executes statements on the first connection. */
  async exec(sql: string): Promise<void> {
    await this.connections[0].run(sql).catch((err: unknown) => Promise.reject(engineError(err, this.memoryLimit)));
  }

  /** Rows of a query as plain JS objects (small results only). */
  async rows<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    const reader = await this.connections[0].runAndReadAll(sql).catch((err: unknown) => Promise.reject(engineError(err, this.memoryLimit)));
    return reader.getRowObjectsJS() as T[];
  }

  /** Runs `fn` for every item, one statement stream per connection; results in item order. */
  async each<I, R>(items: readonly I[], fn: (item: I, run: (sql: string) => Promise<void>) => Promise<R>): Promise<R[]> {
    const results = new Array<R>(items.length);
    let next = 0;
    await Promise.all(
      this.connections.map(async (connection) => {
        const run = async (sql: string) => void (await connection.run(sql).catch((err: unknown) => Promise.reject(engineError(err, this.memoryLimit))));
        while (next < items.length) {
          const i = next++;
          results[i] = await fn(items[i], run);
        }
      }),
    );
    return results;
  }
}
