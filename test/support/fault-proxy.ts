import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { seededRandom } from "./random";

/** A request as the fault proxy sees it, before it is forwarded. */
export interface ProxiedRequest {
  method: string;
  /** Path without the query string, e.g. `/bucket/prefix/datasets/x/current/manifest.json`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

/** S3 error answers the proxy can inject. */
export const S3_FAULTS = {
  internal: { status: 500, code: "InternalError", message: "We encountered an internal error. Please try again." },
  slowDown: { status: 503, code: "SlowDown", message: "Please reduce your request rate." },
  unavailable: { status: 503, code: "ServiceUnavailable", message: "The service is unavailable. Please retry." },
} as const;

/** One kind of injected S3 error. */
export type S3Fault = keyof typeof S3_FAULTS;

/** Which requests a rule faults and how. */
export interface FaultRule {
  /** Name under which injections are counted. */
  name: string;
  match: (req: ProxiedRequest) => boolean;
  fault: S3Fault;
  /** `before`: answer without forwarding; `after`: forward (the store applies it), then replace the answer (an ambiguous outcome). */
  when: "before" | "after";
  /** Fault only the first `times` matching requests of each method+path (default: no limit). */
  timesPerKey?: number;
  /** Fault this fraction of the matching requests (deterministic sequence; default 1). */
  fraction?: number;
  /** Awaited before the fault is answered (for `after`, once the store has applied the request). */
  onFault?: (req: ProxiedRequest) => Promise<void>;
}

/** A running fault proxy. */
export interface FaultProxy {
  endpoint: string;
  /** Injected faults by rule name. */
  injected: Record<string, number>;
  /** Requests seen, by method. */
  requests: Record<string, number>;
  /** Replaces the active rules (an empty list forwards everything untouched). */
  setRules(rules: FaultRule[]): void;
  close(): Promise<void>;
}

function errorBody(fault: S3Fault, path: string, n: number): string {
  const f = S3_FAULTS[fault];
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${f.code}</Code><Message>${f.message}</Message><Resource>${path}</Resource><RequestId>fault-${n}</RequestId></Error>`;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of an S3 endpoint (MinIO) that answers selected requests with
 * S3 5xx errors, either instead of forwarding them or after the store applied them. Headers,
 * including Host, pass unchanged, so SigV4 signatures made for the proxy's address stay valid.
 */
export async function startFaultProxy(upstream: string, seed = 1): Promise<FaultProxy> {
  const target = new URL(upstream);
  let rules: FaultRule[] = [];
  const perKey = new Map<string, number>();
  const injected: Record<string, number> = {};
  const requests: Record<string, number> = {};
  const random = seededRandom(seed);
  let total = 0;

  const pick = (req: ProxiedRequest): FaultRule | undefined => {
    for (const rule of rules) {
      if (!rule.match(req)) continue;
      const key = `${rule.name} ${req.method} ${req.path}`;
      const seen = perKey.get(key) ?? 0;
      if (rule.timesPerKey !== undefined && seen >= rule.timesPerKey) continue;
      if (rule.fraction !== undefined && random() >= rule.fraction) continue;
      perKey.set(key, seen + 1);
      return rule;
    }
    return undefined;
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://proxy");
    const seen: ProxiedRequest = { method: req.method ?? "GET", path: decodeURIComponent(url.pathname), query: url.searchParams, headers: req.headers };
    requests[seen.method] = (requests[seen.method] ?? 0) + 1;
    const rule = pick(seen);
    const n = ++total;
    const answerFault = async (r: FaultRule) => {
      injected[r.name] = (injected[r.name] ?? 0) + 1;
      await r.onFault?.(seen).catch((err: unknown) => console.error(`fault proxy: onFault of ${r.name} failed:`, err));
      const body = seen.method === "HEAD" ? "" : errorBody(r.fault, seen.path, n);
      res.writeHead(S3_FAULTS[r.fault].status, { "content-type": "application/xml", "content-length": Buffer.byteLength(body), "x-amz-request-id": `fault-${n}` });
      res.end(body);
    };
    if (rule?.when === "before") {
      req.resume();
      req.on("end", () => void answerFault(rule));
      return;
    }
    const out = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upstreamRes) => {
        if (rule) {
          upstreamRes.resume();
          upstreamRes.on("end", () => void answerFault(rule));
          return;
        }
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    out.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`fault proxy could not reach ${upstream}: ${err.message}`);
    });
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    injected,
    requests,
    setRules(next) {
      rules = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
