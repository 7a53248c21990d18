import type { Client } from "@temporalio/client";
import { connectClient, runtimeConfig, type RuntimeConfig } from "../config/runtime";
import type { ObjectStore } from "../store/types";
import { TidemarkError } from "../errors";

/** Temporal is not reachable from the CLI. */
export class TemporalUnreachableError extends TidemarkError {}

/** Runtime config, a Temporal client and the store, opened lazily for a command. */
export class CliContext {
  readonly config: RuntimeConfig;
  private client?: Client;
  private storeInstance?: ObjectStore;
  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.config = runtimeConfig(env);
  }
  /** The Temporal client; a clear error when the server is down. */
  async temporal(): Promise<Client> {
    if (!this.client) {
      try {
        this.client = await connectClient(this.config.temporal);
      } catch (err) {
        throw new TemporalUnreachableError(
          `Temporal is not reachable at ${this.config.temporal.address} (${(err as Error).message}); start it with "tidemark dev" or set TEMPORAL_ADDRESS.`,
        );
      }
    }
    return this.client;
  }
  /** The object store of `TIDEMARK_STORE` (its S3 client is loaded only when a command opens it). */
  async store(): Promise<ObjectStore> {
    if (!this.storeInstance) {
      const { openStore } = await import("../store/open.js");
      this.storeInstance ??= openStore(this.config.storeUrl);
    }
    return this.storeInstance;
  }
  /** Closes connections. */
  async close(): Promise<void> {
    await this.client?.connection.close();
  }
}

/** Runs `fn` with a Temporal client and the command's context, closing the connection afterwards. */
export async function withTemporal<T>(fn: (client: Client, ctx: CliContext) => Promise<T>): Promise<T> {
  const ctx = new CliContext();
  try {
    return await fn(await ctx.temporal(), ctx);
  } finally {
    await ctx.close();
  }
}
