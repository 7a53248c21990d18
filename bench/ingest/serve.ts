import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, mkdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { basename, join } from "node:path";

/** A loopback HTTPS server the bench starts to serve its source files (P3 `https://`). */
export interface HttpsSource {
  /** `https://127.0.0.1:<port>/`: the prefix the worker's TIDEMARK_SOURCE_ALLOW lists. */
  prefix: string;
  /** The self-signed certificate, for the worker's NODE_EXTRA_CA_CERTS. */
  caPath: string;
  /** The URL of a served file. */
  url(path: string): string;
  /** Requests answered so far (proof the sources were read through it). */
  requests(): number;
  /** Every request answered so far, in order (its index in this log is its sequence number). */
  log(): readonly ServedRequest[];
  stop(): Promise<void>;
}

/** One request the loopback HTTPS server answered. */
export interface ServedRequest {
  method: string;
  path: string;
  status: number;
  /** The request carried `If-None-Match`. */
  conditional: boolean;
  /** Body bytes sent. */
  bytes: number;
}

/** A strong ETag of a file's content: its sha256, quoted. */
function strongEtag(path: string): string {
  return `"${createHash("sha256").update(readFileSync(path)).digest("hex")}"`;
}

/** A self-signed certificate for IP 127.0.0.1 made with `openssl` (fails loudly without it). */
function selfSigned(dir: string): { key: Buffer; cert: Buffer; certPath: string } {
  mkdirSync(dir, { recursive: true });
  const keyPath = join(dir, "key.pem");
  const certPath = join(dir, "cert.pem");
  const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", keyPath, "-out", certPath];
  const r = spawnSync("openssl", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl could not make the loopback HTTPS certificate (${r.error?.message ?? r.stderr.trim()}); install openssl.`);
  return { key: readFileSync(keyPath), cert: readFileSync(certPath), certPath };
}

/**
 * Serves `files` (by base name, GET/HEAD, with Content-Length and a strong ETag; `If-None-Match` with
 * that ETag is answered 304) over HTTPS on 127.0.0.1, an ephemeral port. Every request is logged.
 */
export async function startHttpsSource(dir: string, files: string[]): Promise<HttpsSource> {
  const { key, cert, certPath } = selfSigned(join(dir, "tls"));
  const served = new Map(files.map((f) => [`/${basename(f)}`, { path: f, etag: strongEtag(f) }]));
  const log: ServedRequest[] = [];
  const server: Server = createServer({ key, cert }, (req, res) => {
    const entry: ServedRequest = { method: req.method ?? "?", path: req.url ?? "", status: 404, conditional: req.headers["if-none-match"] !== undefined, bytes: 0 };
    log.push(entry);
    const file = served.get(req.url ?? "");
    if (!file || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404).end();
      return;
    }
    const tags = (req.headers["if-none-match"] ?? "").split(",").map((t) => t.trim());
    if (tags.includes(file.etag) || tags.includes("*")) {
      entry.status = 304;
      res.writeHead(304, { etag: file.etag }).end();
      return;
    }
    entry.status = 200;
    const size = statSync(file.path).size;
    res.writeHead(200, { "content-type": "text/csv", "content-length": size, etag: file.etag });
    if (req.method === "HEAD") res.end();
    else {
      entry.bytes = size;
      createReadStream(file.path).pipe(res);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const prefix = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    prefix,
    caPath: certPath,
    url: (path) => `${prefix}${basename(path)}`,
    requests: () => log.length,
    log: () => log,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
