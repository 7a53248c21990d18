import { redactUri } from "./open";

/** What the current version's manifest recorded about its source (`source` of SPEC §2). */
export interface RecordedSource {
  uri: string;
  bytes: number;
  sha256: string;
  etag: string | null;
}

/** Whether `etag` is a strong validator: S3's (always), or an HTTP ETag without the `W/` prefix. */
export function isStrongEtag(etag: string): boolean {
  return etag !== "" && !etag.startsWith("W/");
}

/**
 * The ETag an unchanged `https://`, `http://` or `s3://` source may be confirmed with (a conditional
 * request, `If-None-Match`) instead of being downloaded and hashed again; null when the run must hash
 * the source. Every condition must hold: the run would end "unchanged" on `unchangedIf`, the recorded
 * source has that sha256 and a strong ETag, and `uri` is exactly the recorded source — no
 * `${VAR}` reference (`resolved` equals `uri`), no query or fragment (the manifest keeps them
 * redacted, so they could hide another resource), and the same address once redacted.
 */
export function revalidationEtag(uri: string, resolved: string, recorded: RecordedSource | null, unchangedIf: string | undefined): string | null {
  if (unchangedIf === undefined || recorded === null || recorded.etag === null) return null;
  if (recorded.sha256 !== unchangedIf || !isStrongEtag(recorded.etag)) return null;
  if (resolved !== uri || !/^(https?|s3):\/\//.test(uri)) return null;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  if (url.search !== "" || url.hash !== "" || uri.includes("?") || uri.includes("#")) return null;
  return redactUri(uri) === recorded.uri ? recorded.etag : null;
}
