import { Connection } from "@temporalio/client";
import { BIND_TAKEN, failedStart, freePort, PORT_ATTEMPTS, startOnFreshPorts, waitFor } from "./ports";
import { startProcess, type ManagedProcess } from "./process";

/** Search attributes every Tidemark namespace needs (SPEC §3). */
export const TIDEMARK_SEARCH_ATTRIBUTES = { TidemarkDataset: "Keyword", TidemarkVersion: "Keyword", TidemarkPaymentStatus: "Keyword" } as const;

/** Options of `startTemporalDevServer`. */
export interface TemporalDevServerOptions {
  /** Path of the `temporal` CLI binary. */
  binary: string;
  /** Frontend port; a free one when omitted. */
  port?: number;
  /** Web UI port; `false` runs headless. A free one when omitted. */
  uiPort?: number | false;
  /** SQLite file for persistence across restarts; in-memory when omitted. */
  dbFilename?: string;
  namespace?: string;
  /** More namespaces to create at launch. */
  extraNamespaces?: string[];
  /** Echo the server's output to stderr. */
  inherit?: boolean;
  /** Run the server in its own process group (see `startProcess`). */
  detached?: boolean;
  startTimeoutMs?: number;
  /** Where free ports come from (default: asked of the OS, {@link freePort}); a test hands out a taken one. */
  pickPort?: () => Promise<number>;
}

/** A running Temporal dev server. */
export interface TemporalDevServer {
  address: string;
  namespace: string;
  uiUrl?: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` on 127.0.0.1 with Tidemark's search attributes and waits until it
 * answers. Ports it is not given are asked of the OS first and bound by the server later, so another
 * process can take one in between: the server then exits with "bind: address already in use", and
 * it is started again on new ports (three attempts in all; one when every port is given).
 */
export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const picked = options.port === undefined || options.uiPort === undefined;
  return startOnFreshPorts(() => startOnce(options), picked ? PORT_ATTEMPTS : 1);
}

async function startOnce(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const pick = options.pickPort ?? freePort;
  const port = options.port ?? (await pick());
  const uiPort = options.uiPort === false ? undefined : (options.uiPort ?? (await pick()));
  const namespace = options.namespace ?? "default";
  const args = ["server", "start-dev", "--ip", "127.0.0.1", "--port", String(port), "--namespace", namespace, "--log-level", "warn"];
  args.push(...(uiPort === undefined ? ["--headless"] : ["--ui-port", String(uiPort), "--ui-ip", "127.0.0.1"]));
  if (options.dbFilename) args.push("--db-filename", options.dbFilename);
  for (const ns of options.extraNamespaces ?? []) args.push("--namespace", ns);
  for (const [name, type] of Object.entries(TIDEMARK_SEARCH_ATTRIBUTES)) args.push("--search-attribute", `${name}=${type}`);
  const proc = startProcess(options.binary, args, { name: "Temporal dev server", inherit: options.inherit, detached: options.detached });
  const address = `127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        const connection = await Connection.connect({ address, connectTimeout: 1000 });
        try {
          await connection.workflowService.describeNamespace({ namespace });
          return true;
        } finally {
          await connection.close();
        }
      },
      { timeoutMs: options.startTimeoutMs ?? 60_000, describe: `Temporal dev server on ${address}`, abort: proc.exited },
    );
  } catch (err) {
    throw await failedStart(proc, err, BIND_TAKEN, true);
  }
  return {
    address,
    namespace,
    uiUrl: uiPort === undefined ? undefined : `http://127.0.0.1:${uiPort}`,
    process: proc,
    stop: () => proc.stop(),
  };
}
