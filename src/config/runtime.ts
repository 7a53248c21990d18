import type { Client } from "@temporalio/client";
import type { NativeConnection } from "@temporalio/worker";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { assertListening } from "./refused";

/** Connection settings of a Temporal frontend, following Temporal's own environment conventions. */
export interface TemporalSettings {
  address: string;
  namespace: string;
  apiKey?: string;
  tls?: { clientCertPair?: { crt: Buffer; key: Buffer }; serverRootCACertificate?: Buffer };
}

/** Where Tidemark keeps data and definitions and which Temporal it talks to. */
export interface RuntimeConfig {
  /** `file:///abs/dir` or `s3://bucket/prefix`. */
  storeUrl: string;
  datasetsDir: string;
  temporal: TemporalSettings;
  /** Base URL of the Temporal Web UI, for links. */
  uiUrl: string;
  /** Task queue of Tidemark's workers (`TIDEMARK_TASK_QUEUE`, default `tidemark`). */
  taskQueue: string;
}

/** Reads `TIDEMARK_STORE`, `TIDEMARK_DATASETS`, `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS_*`. */
export function runtimeConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const rawStore = env.TIDEMARK_STORE || "file://./data";
  const storeUrl = rawStore.startsWith("file://.") ? pathToFileURL(resolve(rawStore.slice("file://".length))).toString() : rawStore;
  const tlsWanted = env.TEMPORAL_TLS === "true" || Boolean(env.TEMPORAL_TLS_CERT || env.TEMPORAL_API_KEY);
  const tls = tlsWanted
    ? {
        clientCertPair: env.TEMPORAL_TLS_CERT && env.TEMPORAL_TLS_KEY ? { crt: readFileSync(env.TEMPORAL_TLS_CERT), key: readFileSync(env.TEMPORAL_TLS_KEY) } : undefined,
        serverRootCACertificate: env.TEMPORAL_TLS_CA ? readFileSync(env.TEMPORAL_TLS_CA) : undefined,
      }
    : undefined;
  return {
    storeUrl,
    datasetsDir: resolve(env.TIDEMARK_DATASETS || "./datasets"),
    temporal: {
      address: env.TEMPORAL_ADDRESS || "127.0.0.1:7233",
      namespace: env.TEMPORAL_NAMESPACE || "default",
      apiKey: env.TEMPORAL_API_KEY || undefined,
      tls,
    },
    uiUrl: (env.TIDEMARK_UI_URL || "http://127.0.0.1:8233").replace(/\/$/, ""),
    taskQueue: env.TIDEMARK_TASK_QUEUE || "tidemark",
  };
}

const lazyRequire = createRequire(__filename);

/** How long a client waits for the frontend to answer its first call; a loaded CI box needs more than 5 s. */
export const CONNECT_TIMEOUT_MS = 15_000;

/** A Temporal client for the configured frontend. */
export async function connectClient(settings: TemporalSettings): Promise<Client> {
  // Loaded on first use (`tidemark serve` connects only when it first needs Temporal), with require:
  // import() would make Node lex every module the SDK re-exports, ~50 ms of each CLI run.
  await assertListening(settings.address);
  const { Client, Connection } = lazyRequire("@temporalio/client") as typeof import("@temporalio/client");
  const connection = await Connection.connect({ address: settings.address, tls: settings.tls, apiKey: settings.apiKey, connectTimeout: CONNECT_TIMEOUT_MS });
  return new Client({ connection, namespace: settings.namespace });
}

/** A native connection for a worker. */
export async function connectWorker(settings: TemporalSettings): Promise<NativeConnection> {
  // The worker SDK is loaded on first use: CLI commands that only start or read runs should not pay for it.
  const { NativeConnection } = await import("@temporalio/worker");
  return NativeConnection.connect({ address: settings.address, tls: settings.tls, apiKey: settings.apiKey });
}

/** Link to a workflow run in the Temporal Web UI. */
export function runUrl(uiUrl: string, namespace: string, workflowId: string, runId: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}
