import { describe, expect, it } from "vitest";
import { isStrongEtag, type RecordedSource, revalidationEtag } from "../../src/sources/validator";

const sha = "a".repeat(64);
const uri = "https://data.example.org/rates.csv";
const recorded: RecordedSource = { uri, bytes: 10, sha256: sha, etag: '"abc"' };

describe("revalidationEtag", () => {
  it("gives the recorded strong ETag for the same https or s3 source that would end unchanged", () => {
    expect(revalidationEtag(uri, uri, recorded, sha)).toBe('"abc"');
    const s3 = "s3://bucket/sources/rates.csv";
    expect(revalidationEtag(s3, s3, { ...recorded, uri: s3, etag: "d41d8cd98f00b204e9800998ecf8427e" }, sha)).toBe("d41d8cd98f00b204e9800998ecf8427e");
  });

  it("refuses whenever the run must hash the source", () => {
    expect(revalidationEtag(uri, uri, recorded, undefined)).toBeNull();
    expect(revalidationEtag(uri, uri, null, sha)).toBeNull();
    expect(revalidationEtag(uri, uri, { ...recorded, etag: null }, sha)).toBeNull();
    expect(revalidationEtag(uri, uri, { ...recorded, etag: 'W/"abc"' }, sha)).toBeNull();
    expect(revalidationEtag(uri, uri, { ...recorded, sha256: "b".repeat(64) }, sha)).toBeNull();
    expect(revalidationEtag("https://data.example.org/other.csv", "https://data.example.org/other.csv", recorded, sha)).toBeNull();
    expect(revalidationEtag("https://${HOST}/rates.csv", uri, { ...recorded, uri: "https://${HOST}/rates.csv" }, sha)).toBeNull();
    const query = `${uri}?month=1`;
    expect(revalidationEtag(query, query, { ...recorded, uri: `${uri}?month=redacted` }, sha)).toBeNull();
    expect(revalidationEtag("file:///data/rates.csv", "file:///data/rates.csv", { ...recorded, uri: "file:///data/rates.csv" }, sha)).toBeNull();
  });

  it("matches a source given with credentials against its redacted record", () => {
    const withUser = "https://ana:pw@data.example.org/rates.csv";
    expect(revalidationEtag(withUser, withUser, recorded, sha)).toBe('"abc"');
  });
});

describe("isStrongEtag", () => {
  it("treats W/ ETags and empty ones as weak", () => {
    expect(isStrongEtag('"x"')).toBe(true);
    expect(isStrongEtag('W/"x"')).toBe(false);
    expect(isStrongEtag("")).toBe(false);
  });
});
