/** Early detection of a Temporal address where nothing listens, so a client fails at once instead of at its connect deadline. */
import { connect } from "node:net";

/** Environment variables through which gRPC may reach the address via a proxy (a direct probe then tells nothing). */
const PROXY_VARIABLES = ["grpc_proxy", "https_proxy", "http_proxy", "GRPC_PROXY", "HTTPS_PROXY", "HTTP_PROXY"];

/** `host` and `port` of a `host:port` address (`[v6]:port` too); null when it has no numeric port. */
export function splitAddress(address: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address.trim());
  if (!m) return null;
  const port = Number(m[3]);
  return port > 0 && port < 65536 ? { host: m[1] ?? m[2], port } : null;
}

/** Whether a connection error means every address of the host actively refused the connection. */
export function isRefusal(err: unknown): boolean {
  const e = err as { code?: string; errors?: unknown[] };
  if (e?.code === "ECONNREFUSED") return true;
  return Array.isArray(e?.errors) && e.errors.length > 0 && e.errors.every(isRefusal);
}

/** Hosts of this machine, where a TCP connection is answered (or refused) within microseconds. */
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1)$/i;

/** Where {@link assertListening} connects: a loopback `address` with a numeric port, unless `env` names a proxy; else null (no probe). */
export function probeTarget(address: string, env: NodeJS.ProcessEnv = process.env): { host: string; port: number } | null {
  const target = splitAddress(address);
  return target && LOOPBACK.test(target.host) && !PROXY_VARIABLES.some((v) => env[v]) ? target : null;
}

/**
 * Throws (code `ECONNREFUSED`) when `address` is on this machine and nothing listens there: one TCP
 * connection, closed at once, before a gRPC client is made (a client refused by its server keeps
 * retrying until its connect deadline, and its timers keep the process alive that long even after
 * it is closed). Resolves at once, without a probe, for other hosts (a connection there costs a
 * round trip), an address without a numeric port, or when `env` names a proxy gRPC would go through.
 * Any outcome other than an active refusal (a connection, a timeout) resolves too: the client decides.
 */
export async function assertListening(address: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const target = probeTarget(address, env);
  if (!target) return;
  const refused = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    const done = (refusal: boolean) => {
      socket.destroy();
      resolve(refusal);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("connect", () => done(false));
    socket.once("error", (err) => done(isRefusal(err)));
  });
  if (refused) throw Object.assign(new Error(`connection refused: nothing listens at ${address}`), { code: "ECONNREFUSED" });
}
