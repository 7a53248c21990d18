/** Opening an `https://` or `http://` source: address checks on every redirect hop, conditional requests, framing and decoding of the body. */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { systemResolver, type ResolvedAddress } from "./address";
import { checkHttpTarget, type SourcePolicy } from "./allow";
import { decodedStream } from "./content-encoding";
import { SourceAccessDeniedError, SourceNotAllowedError, SourceNotFoundError, UnsupportedSourceError } from "./errors";
import { lastingEtag } from "./http-etag";
import { DEFAULT_SOURCE_IDLE_MS, DEFAULT_SOURCE_TIMEOUT_MS, UNFRAMED_VAR } from "./limits";
import type { OpenedSource, SourceDeps } from "./open";
import { redactUri } from "./redact";
import { networkProblem, seconds, unavailable } from "./source-failure";

/** Moves URL userinfo into a Basic `Authorization` header: fetch refuses URLs that carry credentials. */
export function withBasicAuth(uri: string): { url: string; headers: Record<string, string> } {
  const url = new URL(uri);
  if (!url.username && !url.password) return { url: uri, headers: {} };
  const token = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64");
  url.username = "";
  url.password = "";
  return { url: url.toString(), headers: { authorization: `Basic ${token}` } };
}

function chunked(res: IncomingMessage): boolean {
  return /(^|,)\s*chunked\s*$/i.test(res.headers["transfer-encoding"] ?? "");
}

/** Whether the outermost coding of a body ends with its own trailer (gzip, deflate, br), so a cut body fails to decode. */
function selfDelimiting(contentEncoding: string | undefined): boolean {
  const codings = (contentEncoding ?? "").split(",").map((c) => c.trim().toLowerCase()).filter((c) => c !== "" && c !== "identity");
  return codings.length > 0 && ["gzip", "x-gzip", "deflate", "br"].includes(codings[codings.length - 1]);
}

/** Redirects an HTTP source may take before it is refused. */
export const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A `lookup` for `http.request` that answers with the already-checked address (no second DNS answer to trust). */
export function pinnedLookup(target: ResolvedAddress) {
  return (_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
}

/** Every source request asks caches on the way (a CDN, a proxy) for the origin's current bytes: a stale copy would publish an older version after a newer one. */
const FROM_ORIGIN = { "cache-control": "no-cache" };

function request(url: URL, target: ResolvedAddress, headers: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
  const get = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolvePromise, reject) => {
    const req = get(url, { headers: { ...FROM_ORIGIN, ...headers }, signal, lookup: pinnedLookup(target) as never }, resolvePromise);
    req.on("error", reject);
    req.end();
  });
}

/** Opens an HTTP(S) source; null when `ifNoneMatch` is set and the origin confirmed it (304). */
export async function openHttp(uri: string, deps: SourceDeps, policy: SourcePolicy, ifNoneMatch: string | null): Promise<OpenedSource | null> {
  const shown = redactUri(uri);
  const resolver = deps.resolve ?? systemResolver;
  const timeoutMs = deps.httpTimeoutMs ?? DEFAULT_SOURCE_TIMEOUT_MS;
  const headersTimeout = new AbortController();
  const timer = setTimeout(() => headersTimeout.abort(new Error("timeout")), timeoutMs);
  const signal = deps.signal ? AbortSignal.any([headersTimeout.signal, deps.signal]) : headersTimeout.signal;
  const first = withBasicAuth(uri);
  let url = new URL(first.url);
  let headers = ifNoneMatch === null ? first.headers : { ...first.headers, "if-none-match": ifNoneMatch };
  let res: IncomingMessage;
  try {
    for (let hop = 0; ; hop++) {
      const hopShown = redactUri(url.href);
      const target = await checkHttpTarget(hopShown, url, policy, resolver, hop === 0 ? "Source" : `Source ${shown} redirected to`);
      try {
        res = await request(url, target, headers, signal);
      } catch (err) {
        if (deps.signal?.aborted) throw err;
        const { what, fix } = networkProblem(err, headersTimeout.signal.aborted, timeoutMs);
        throw unavailable(shown, what, fix, deps);
      }
      const location = res.headers.location;
      if (!REDIRECTS.has(res.statusCode ?? 0) || !location) break;
      res.resume();
      if (hop + 1 > MAX_REDIRECTS) throw new SourceNotAllowedError(`Source ${shown} redirected more than ${MAX_REDIRECTS} times; point source.uri at the final URL.`);
      const next = new URL(location, url);
      if (next.protocol !== "http:" && next.protocol !== "https:") throw new SourceNotAllowedError(`Source ${shown} redirected to a ${next.protocol} URL, which is not allowed; point source.uri at the final URL.`);
      const { "if-none-match": _condition, ...kept } = headers;
      headers = next.origin === url.origin ? kept : {};
      url = next;
    }
  } finally {
    clearTimeout(timer);
  }
  const status = res.statusCode ?? 0;
  const drop = () => res.resume();
  if (status === 304 && headers["if-none-match"] !== undefined) {
    drop();
    const etag = res.headers.etag;
    return etag === undefined || etag === ifNoneMatch ? null : openHttp(uri, deps, policy, null);
  }
  if (status === 404 || status === 410) {
    drop();
    throw new SourceNotFoundError(`Source ${shown} answered HTTP ${status} (not found); check the URL in source.uri, or pass the right one with --source.`);
  }
  if (status === 401 || status === 403) {
    drop();
    throw new SourceAccessDeniedError(`Source ${shown} answered HTTP ${status} (access denied); check the credentials in source.uri or the server's permissions.`);
  }
  if (status < 200 || status >= 300) {
    drop();
    throw unavailable(shown, `answered HTTP ${status}`, "check the server's health, then run the ingest again", deps);
  }
  const idleMs = deps.httpIdleMs ?? DEFAULT_SOURCE_IDLE_MS;
  res.setTimeout(idleMs, () =>
    res.destroy(unavailable(shown, `sent nothing for ${seconds(idleMs)} in the middle of its body`, "check the server's health, or raise TIDEMARK_SOURCE_IDLE_MS", deps)),
  );
  const length = res.headers["content-length"];
  if (length === undefined && !chunked(res) && !selfDelimiting(res.headers["content-encoding"]) && !deps.acceptUnframed) {
    drop();
    throw new UnsupportedSourceError(
      `Source ${shown} sent its body without Content-Length or chunked encoding, so a connection cut short would look like the whole file and publish its missing rows as deleted; ` +
        `have the server send Content-Length (or gzip the body), or set ${UNFRAMED_VAR}=accept on the worker to read such bodies anyway.`,
    );
  }
  const decoded = decodedStream(res, res.headers["content-encoding"], shown);
  return { stream: decoded ?? res, etag: lastingEtag(res.headers, Date.now()), size: decoded ? null : length ? Number(length) : null };
}
