import type { IncomingHttpHeaders } from "node:http";
import { RACY_MS } from "./file-validator";

/**
 * The ETag of an HTTP answer that may later confirm its bytes unchanged (`If-None-Match`), or null.
 * An answer whose `Last-Modified` is less than {@link RACY_MS} before its `Date` (the origin's clock;
 * the worker's when absent) gives none: servers that derive ETags from a whole-second mtime and the
 * size (nginx) give a file rewritten within that second with the same size the same ETag. Apache
 * marks such an ETag weak for the same reason.
 */
export function lastingEtag(headers: IncomingHttpHeaders, nowMs: number): string | null {
  const etag = headers.etag;
  if (typeof etag !== "string" || etag === "") return null;
  const modified = headers["last-modified"] === undefined ? NaN : Date.parse(headers["last-modified"]);
  if (Number.isNaN(modified)) return etag;
  const sent = headers.date === undefined ? NaN : Date.parse(headers.date);
  return (Number.isNaN(sent) ? nowMs : sent) - modified < RACY_MS ? null : etag;
}
