import { describe, expect, it } from "vitest";
import { lastingEtag } from "../../src/sources/http-etag";

describe("lastingEtag", () => {
  const date = "Tue, 01 Dec 2026 06:00:10 GMT";
  const now = Date.parse(date);

  it("keeps an ETag without Last-Modified, or modified at least 2 s before the answer", () => {
    expect(lastingEtag({ etag: '"a"' }, now)).toBe('"a"');
    expect(lastingEtag({ etag: '"a"', date, "last-modified": "Tue, 01 Dec 2026 06:00:08 GMT" }, now)).toBe('"a"');
  });

  it("drops an ETag modified within 2 s of the answer's Date, or of the worker's clock without one", () => {
    expect(lastingEtag({ etag: '"a"', date, "last-modified": "Tue, 01 Dec 2026 06:00:09 GMT" }, now)).toBeNull();
    expect(lastingEtag({ etag: '"a"', "last-modified": "Tue, 01 Dec 2026 06:00:10 GMT" }, now + 500)).toBeNull();
  });

  it("is null without an ETag", () => {
    expect(lastingEtag({}, now)).toBeNull();
  });
});
