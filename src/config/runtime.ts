import type { Client } from "@temporalio/client";
import type { NativeConnection } from "@temporalio/worker";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { TidemarkError } from "../errors";
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

/** A Temporal connection setting in the environment is malformed or names a file that cannot be read. */
export class TemporalSettingsError extends TidemarkError {}

/** Values `TEMPORAL_TLS` accepts: on, or left to the other settings. */
const TLS_SWITCH: Record<string, boolean> = { true: true, "1": true, false: false, "0": false };

/** Whether `TEMPORAL_TLS` asks for TLS: `true`/`1` yes, `false`/`0`/unset no (TLS may still follow from other settings). */
function tlsForced(value: string | undefined): boolean {
  if (!value) return false;
  const forced = TLS_SWITCH[value.toLowerCase()];
  if (forced === undefined) throw new TemporalSettingsError(`TEMPORAL_TLS is ${JSON.stringify(value)}, which is not a switch; set it to true, false, 1 or 0, or unset it.`);
  return forced;
}

/** The file named by environment variable `name`, read. */
function readSettingFile(name: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new TemporalSettingsError(`${name} names ${path}, which cannot be read (${e.code ?? e.message}); fix the path or unset it.`, { cause: err });
  }
}

/** The client certificate pair of `TEMPORAL_TLS_CERT` and `TEMPORAL_TLS_KEY`, which come together or not at all. */
function clientCertPair(env: NodeJS.ProcessEnv): { crt: Buffer; key: Buffer } | undefined {
  const { TEMPORAL_TLS_CERT: cert, TEMPORAL_TLS_KEY: key } = env;
  if (!cert !== !key) throw new TemporalSettingsError("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together (mTLS): set both or neither.");
  return cert && key ? { crt: readSettingFile("TEMPORAL_TLS_CERT", cert), key: readSettingFile("TEMPORAL_TLS_KEY", key) } : undefined;
}

/**
 * TLS settings of the Temporal connection: on when `TEMPORAL_TLS` is `true`/`1` or any of
 * `TEMPORAL_TLS_CERT`, `TEMPORAL_TLS_CA` and `TEMPORAL_API_KEY` is set; undefined (plaintext) otherwise.
 * Throws {@link TemporalSettingsError} for another `TEMPORAL_TLS` value, a certificate without its key
 * (or the reverse), or a file that cannot be read.
 */
export function temporalTls(env: NodeJS.ProcessEnv): TemporalSettings["tls"] {
  const forced = tlsForced(env.TEMPORAL_TLS);
  const pair = clientCertPair(env);
  const ca = env.TEMPORAL_TLS_CA ? readSettingFile("TEMPORAL_TLS_CA", env.TEMPORAL_TLS_CA) : undefined;
  if (!forced && !pair && !ca && !env.TEMPORAL_API_KEY) return undefined;
  return { clientCertPair: pair, serverRootCACertificate: ca };
}

/**
 * Reads `TIDEMARK_STORE`, `TIDEMARK_DATASETS`, `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`,
 * `TEMPORAL_TLS_*` (see {@link temporalTls}).
 */
export function runtimeConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const rawStore = env.TIDEMARK_STORE || "file://./data";
  const storeUrl = rawStore.startsWith("file://.") ? pathToFileURL(resolve(rawStore.slice("file://".length))).toString() : rawStore;
  const tls = temporalTls(env);
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
