/** Source URIs as they may be shown: in logs, manifests and workflow histories. */

/**
 * A URI safe to log and to record in manifests and histories: userinfo removed, every query value
 * and the fragment replaced by `redacted` (presigned signatures, `?token=`, …).
 */
export function redactUri(uri: string): string {
  try {
    const url = new URL(uri);
    url.username = "";
    url.password = "";
    const names = [...url.searchParams.keys()];
    const base = `${url.protocol}//${url.host}${url.pathname}`;
    const query = url.search === "" ? "" : `?${names.length ? names.map((n) => `${encodeURIComponent(n)}=redacted`).join("&") : "redacted"}`;
    return `${url.protocol === "file:" ? url.href.split(/[?#]/)[0] : base}${query}${url.hash ? "#redacted" : ""}`;
  } catch {
    return uri.replace(/[?#].*$/s, "?redacted");
  }
}
