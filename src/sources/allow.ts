/**
 * What a worker may read: `TIDEMARK_SOURCE_ALLOW` (URI prefixes) or, when unset, the closed defaults —
 * files under the datasets directory and the working directory, HTTP(S) to public addresses, S3 in
 * the store's own bucket.
 */
import { realpath } from "node:fs/promises";
import { isAbsolute, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { addressesOf, nonPublicKind, type HostResolver, type ResolvedAddress } from "./address";
import { SourceNotAllowedError } from "./errors";
import { SourceConfigError } from "./limits";

/** The variable that widens what sources may be read. */
export const SOURCE_ALLOW_VAR = "TIDEMARK_SOURCE_ALLOW";

/** What sources a worker may open. */
export interface SourcePolicy {
  /** Explicit URI prefixes (`TIDEMARK_SOURCE_ALLOW`), or null for the defaults. */
  allow: string[] | null;
  /** Directories `file://` sources may be under when `allow` is null. */
  fileRoots: string[];
  /** The store's own bucket, the only one `s3://` sources may name when `allow` is null. */
  storeBucket: string | null;
}

const SCHEMES = new Set(["file:", "http:", "https:", "s3:"]);
const FIX = `list it in ${SOURCE_ALLOW_VAR} (comma-separated URI prefixes) on the worker to allow it`;

/** Parses `TIDEMARK_SOURCE_ALLOW`: URI prefixes separated by commas or whitespace; a bare absolute path is a `file://` prefix. */
export function parseAllowList(text: string): string[] {
  const entries = text.split(/[\s,]+/).filter((e) => e !== "");
  return entries.map((entry) => {
    if (isAbsolute(entry)) return `file://${resolve(entry)}`;
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new SourceConfigError(`${SOURCE_ALLOW_VAR} entry ${JSON.stringify(entry)} is not a URI prefix; use file:///dir/, https://host/path, s3://bucket/ or http://127.0.0.1:8080/.`);
    }
    if (!SCHEMES.has(url.protocol)) throw new SourceConfigError(`${SOURCE_ALLOW_VAR} entry ${JSON.stringify(entry)} has an unsupported scheme; use file://, http://, https:// or s3://.`);
    if (url.search || url.hash || url.username || url.password) throw new SourceConfigError(`${SOURCE_ALLOW_VAR} entry ${JSON.stringify(entry)} must not carry credentials, a query or a fragment; remove them.`);
    return entry;
  });
}

/** The bucket of an `s3://bucket/prefix` store URL, or null for other stores. */
export function storeBucketOf(storeUrl: string | undefined): string | null {
  if (!storeUrl?.startsWith("s3://")) return null;
  return new URL(storeUrl).hostname || null;
}

/** The worker's policy from `TIDEMARK_SOURCE_ALLOW` and where it keeps definitions and data. */
export function sourcePolicyFromEnv(env: NodeJS.ProcessEnv, where: { datasetsDir: string; cwd?: string; storeUrl?: string }): SourcePolicy {
  const text = env[SOURCE_ALLOW_VAR];
  const cwd = resolve(where.cwd ?? process.cwd());
  return {
    allow: text === undefined || text.trim() === "" ? null : parseAllowList(text),
    fileRoots: [resolve(where.datasetsDir), ...(cwd === sep ? [] : [cwd])],
    storeBucket: storeBucketOf(where.storeUrl),
  };
}

function under(path: string, root: string): boolean {
  if (path === root) return true;
  return path.startsWith(root.endsWith(sep) ? root : root + sep);
}

function fileRoots(policy: SourcePolicy): string[] {
  if (policy.allow === null) return policy.fileRoots.map((r) => resolve(r));
  return policy.allow.filter((p) => p.startsWith("file://")).map((p) => resolve(fileURLToPath(p.endsWith("/") && p !== "file:///" ? p.slice(0, -1) : p)));
}

async function real(path: string): Promise<string | null> {
  try {
    return await realpath(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return null;
    throw err;
  }
}

/**
 * Checks a local source path and returns the real path to open. Refused (before reading anything)
 * when it is outside every allowed directory, or when a symlink leads it out of them.
 */
export async function checkFileSource(shown: string, path: string, policy: SourcePolicy): Promise<string> {
  const lexical = resolve(path);
  const roots = fileRoots(policy);
  const rule = policy.allow === null ? `file sources must be under the datasets directory or the worker's working directory (${roots.join(", ")})` : `no file:// prefix in ${SOURCE_ALLOW_VAR} covers it`;
  if (!roots.some((root) => under(lexical, root))) throw new SourceNotAllowedError(`Source ${shown} is not allowed: ${rule}; ${FIX}.`);
  const target = await real(lexical);
  if (target === null) return lexical;
  const realRoots = await Promise.all(roots.map(async (root) => (await real(root)) ?? root));
  if (!realRoots.some((root) => under(target, root))) {
    throw new SourceNotAllowedError(`Source ${shown} is not allowed: it goes through a symlink that leads outside the allowed directories; point source.uri at the real file, or ${FIX}.`);
  }
  return target;
}

function hasExplicitPort(prefix: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*:\d+(?:[/?#]|$)/i.test(prefix);
}

/** Whether `url` falls under the URI prefix `prefix` (same scheme, host, port when given, path prefix). */
export function matchesPrefix(url: URL, prefix: string): boolean {
  const bare = /^([a-z][a-z0-9+.-]*):\/\/$/i.exec(prefix);
  if (bare) return url.protocol === `${bare[1].toLowerCase()}:`;
  let p: URL;
  try {
    p = new URL(prefix);
  } catch {
    return false;
  }
  if (p.protocol !== url.protocol) return false;
  if (p.hostname !== "" && p.hostname.toLowerCase() !== url.hostname.toLowerCase()) return false;
  if (hasExplicitPort(prefix) && p.port !== url.port) return false;
  const path = p.pathname;
  return path === "" || path === "/" || url.pathname.startsWith(path);
}

/** How a refusal of an HTTP(S) target is worded and typed (sources by default; webhooks reuse it). */
export interface TargetRule {
  what: string;
  variable: string;
  refuse: (message: string) => Error;
}

const SOURCE_RULE: TargetRule = { what: "Source", variable: SOURCE_ALLOW_VAR, refuse: (m) => new SourceNotAllowedError(m) };

/**
 * Checks one HTTP(S) request target (the source or a redirect) and returns the address to connect
 * to: the explicit list when set, else every resolved address must be public.
 */
export async function checkHttpTarget(shown: string, url: URL, policy: Pick<SourcePolicy, "allow">, resolver: HostResolver, what?: string, rule: TargetRule = SOURCE_RULE): Promise<ResolvedAddress> {
  const label = what ?? rule.what;
  const fix = `list it in ${rule.variable} (comma-separated URI prefixes) on the worker to allow it`;
  if (policy.allow !== null && !policy.allow.some((p) => matchesPrefix(url, p))) {
    throw rule.refuse(`${label} ${shown} is not allowed: no prefix in ${rule.variable} covers it; ${fix}.`);
  }
  const addresses = await addressesOf(url, resolver);
  if (addresses.length === 0) throw rule.refuse(`${label} ${shown} is not allowed: its host has no address; check the host name.`);
  if (policy.allow === null) {
    for (const a of addresses) {
      const kind = nonPublicKind(a.address);
      if (kind) throw rule.refuse(`${label} ${shown} is not allowed: its host resolves to ${a.address}, ${kind} address, and by default only public addresses may be reached; ${fix}.`);
    }
  }
  return addresses[0];
}

/** Checks an `s3://bucket/key` source: the store's own bucket by default, else an explicit prefix. */
export function checkS3Source(shown: string, url: URL, policy: SourcePolicy): void {
  if (policy.allow === null) {
    if (policy.storeBucket !== null && url.hostname === policy.storeBucket) return;
    const own = policy.storeBucket === null ? "this worker's store is not on S3, so no bucket is allowed by default" : `by default only the store's own bucket (${policy.storeBucket}) may be read`;
    throw new SourceNotAllowedError(`Source ${shown} is not allowed: ${own}; ${FIX}.`);
  }
  if (!policy.allow.some((p) => matchesPrefix(url, p))) throw new SourceNotAllowedError(`Source ${shown} is not allowed: no prefix in ${SOURCE_ALLOW_VAR} covers it; ${FIX}.`);
}
