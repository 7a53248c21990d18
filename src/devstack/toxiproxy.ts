import { BIND_TAKEN, failedStart, freePort, PORT_ATTEMPTS, startOnFreshPorts, waitFor } from "./ports";
import { startProcess, type ManagedProcess } from "./process";

/** Attributes of each Toxiproxy toxic type this client uses (see Toxiproxy's README). */
export interface ToxicAttributes {
  /** Adds `latency` ± `jitter` ms to all data. */
  latency: { latency: number; jitter?: number };
  /** Limits the connection to `rate` KB/s. */
  bandwidth: { rate: number };
  /** Stops all data; closes the connection after `timeout` ms (never when 0). */
  timeout: { timeout: number };
  /** Resets the connection (TCP RST) after `timeout` ms. */
  reset_peer: { timeout: number };
  /** Delays closing the connection by `delay` ms. */
  slow_close: { delay: number };
  /** Closes the connection after `bytes` bytes. */
  limit_data: { bytes: number };
}

/** A toxic type this client knows. */
export type ToxicType = keyof ToxicAttributes;

/** A toxic to add to a proxy. */
export interface Toxic<T extends ToxicType = ToxicType> {
  name: string;
  type: T;
  /** `downstream` acts on data from the upstream to the client (default), `upstream` on data to the upstream. */
  stream?: "upstream" | "downstream";
  /** Fraction of connections affected, 0..1 (default 1). */
  toxicity?: number;
  attributes: ToxicAttributes[T];
}

/** A proxy as the Toxiproxy API reports it. */
export interface ProxyInfo {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
}

/**
 * Longest wait for one answer of Toxiproxy's API (a local server that answers in milliseconds):
 * whatever else holds its port may accept a request and never answer, and a start must then fail
 * with a reason instead of waiting forever.
 */
const API_TIMEOUT_MS = 5000;

/** A typed client of Toxiproxy's HTTP API. */
export class ToxiproxyClient {
  constructor(readonly apiUrl: string) {}

  /** The server's version string. */
  async version(): Promise<string> {
    return (await this.call("GET", "/version")).text();
  }

  /** Creates a proxy listening on `listen` (host:port) that forwards to `upstream` (host:port). */
  async createProxy(name: string, listen: string, upstream: string): Promise<ProxyInfo> {
    return (await this.call("POST", "/proxies", { name, listen, upstream, enabled: true })).json() as Promise<ProxyInfo>;
  }

  /** Deletes a proxy and closes its connections. */
  async deleteProxy(name: string): Promise<void> {
    await this.call("DELETE", `/proxies/${encodeURIComponent(name)}`);
  }

  /** Adds a toxic to a proxy; it applies to new and existing connections. */
  async addToxic<T extends ToxicType>(proxy: string, toxic: Toxic<T>): Promise<void> {
    await this.call("POST", `/proxies/${encodeURIComponent(proxy)}/toxics`, { stream: "downstream", toxicity: 1, ...toxic });
  }

  /** Removes a toxic from a proxy. */
  async removeToxic(proxy: string, name: string): Promise<void> {
    await this.call("DELETE", `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(name)}`);
  }

  /** Names of the toxics currently on a proxy. */
  async toxics(proxy: string): Promise<string[]> {
    const list = (await (await this.call("GET", `/proxies/${encodeURIComponent(proxy)}/toxics`)).json()) as { name: string }[];
    return list.map((t) => t.name);
  }

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(this.apiUrl + path, {
        method,
        headers: body === undefined ? undefined : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(API_TIMEOUT_MS),
      });
    } catch (err) {
      if ((err as Error).name !== "TimeoutError") throw err;
      throw new Error(`Toxiproxy ${method} ${path} did not answer within ${API_TIMEOUT_MS / 1000} s; check that ${this.apiUrl} is Toxiproxy's API.`, { cause: err });
    }
    if (!res.ok) throw new Error(`Toxiproxy ${method} ${path} answered ${res.status}: ${await res.text()}`);
    return res;
  }
}

/** A running Toxiproxy server on loopback. */
export interface ToxiproxyServer {
  apiUrl: string;
  client: ToxiproxyClient;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/** Options of {@link startToxiproxy}. */
export interface ToxiproxyOptions {
  binary: string;
  /** API port (default: a free one, picked again when it is taken before Toxiproxy binds it). */
  port?: number;
  startTimeoutMs?: number;
  /** Where free ports come from (default: asked of the OS, {@link freePort}); a test hands out a taken one. */
  pickPort?: () => Promise<number>;
}

/**
 * Starts `toxiproxy-server` with its API on 127.0.0.1 and waits until it answers. Its port is asked
 * of the OS first and bound by Toxiproxy later, so another process can take it in between: Toxiproxy
 * then logs the bind error and keeps running without its API; it is stopped and started again on a
 * new port (three attempts in all), unless `port` fixes it.
 */
export async function startToxiproxy({ binary, port, startTimeoutMs = 15_000, pickPort = freePort }: ToxiproxyOptions): Promise<ToxiproxyServer> {
  return startOnFreshPorts(async () => startOnce(binary, port ?? (await pickPort()), startTimeoutMs), port === undefined ? PORT_ATTEMPTS : 1);
}

async function startOnce(binary: string, apiPort: number, startTimeoutMs: number): Promise<ToxiproxyServer> {
  const proc = startProcess(binary, ["-host", "127.0.0.1", "-port", String(apiPort)], { name: "Toxiproxy" });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const client = new ToxiproxyClient(apiUrl);
  const portTaken = () => BIND_TAKEN.test(proc.tail());
  try {
    const abort = () => proc.exited() ?? (portTaken() ? `its API port ${apiPort} is taken by another process (Toxiproxy keeps running without its API); start it on a free port` : undefined);
    await waitFor(async () => (await client.version()).length > 0, { timeoutMs: startTimeoutMs, describe: `Toxiproxy on ${apiUrl}`, abort });
  } catch (err) {
    throw await failedStart(proc, err, BIND_TAKEN, false);
  }
  return { apiUrl, client, process: proc, stop: () => proc.stop() };
}
