import { spawnSync } from "node:child_process";
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
  stop(): Promise<void>;
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

/** Serves `files` (by base name, GET/HEAD, with Content-Length) over HTTPS on 127.0.0.1, an ephemeral port. */
export async function startHttpsSource(dir: string, files: string[]): Promise<HttpsSource> {
  const { key, cert, certPath } = selfSigned(join(dir, "tls"));
  const served = new Map(files.map((f) => [`/${basename(f)}`, f]));
  let requests = 0;
  const server: Server = createServer({ key, cert }, (req, res) => {
    requests++;
    const path = served.get(req.url ?? "");
    if (!path || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/csv", "content-length": statSync(path).size });
    if (req.method === "HEAD") res.end();
    else createReadStream(path).pipe(res);
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
    requests: () => requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
