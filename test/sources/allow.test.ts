import { fenceAttempts, fenceLoaded } from "../support/fence-in-process";
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { nonPublicKind, type HostResolver } from "../../src/sources/address";
import { checkFileSource, checkHttpTarget, checkS3Source, matchesPrefix, parseAllowList, sourcePolicyFromEnv, type SourcePolicy } from "../../src/sources/allow";
import { SourceNotAllowedError } from "../../src/sources/errors";
import { SourceConfigError } from "../../src/sources/limits";

const table: Record<string, string[]> = {
  "metadata.test": ["169.254.169.254"],
  "private.test": ["10.1.2.3"],
  "mixed.test": ["93.184.216.34", "192.168.1.9"],
  "public.test": ["93.184.216.34"],
  "v6-local.test": ["fd12::1"],
};
const asked: string[] = [];
const resolver: HostResolver = async (host) => {
  asked.push(host);
  return (table[host] ?? []).map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
};
const defaults: SourcePolicy = { allow: null, fileRoots: [], storeBucket: "store-bucket" };

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(SourceNotAllowedError);
  return (err as Error).message;
}

describe("this file's process", () => {
  it("runs behind the network fence, which refused nothing", async () => {
    expect(await fenceLoaded()).toBe(true);
  });
});

afterAll(() => {
  expect(fenceAttempts()).toEqual([]);
});

describe("address classes", () => {
  it("names every non-public range and passes public ones", () => {
    const cases: [string, string | null][] = [
      ["127.0.0.1", "a loopback"],
      ["10.0.0.1", "a private"],
      ["172.31.255.255", "a private"],
      ["192.168.0.1", "a private"],
      ["169.254.169.254", "a cloud metadata"],
      ["169.254.10.1", "a link-local"],
      ["100.100.100.200", "a carrier-grade NAT (CGNAT)"],
      ["0.0.0.0", "an unspecified"],
      ["::1", "a loopback"],
      ["fd00:ec2::254", "a cloud metadata"],
      ["fc00::5", "a unique-local"],
      ["fe80::1", "a link-local"],
      ["::ffff:127.0.0.1", "an IPv4-mapped"],
      ["93.184.216.34", null],
      ["2606:4700::1111", null],
      ["not-an-ip", "an unparseable"],
    ];
    for (const [ip, kind] of cases) expect([ip, nonPublicKind(ip)]).toEqual([ip, kind]);
  });
});

describe("HTTP targets under the defaults", () => {
  it("refuses metadata, private, loopback and mixed answers, naming the rule and the variable", async () => {
    const metadata = await refusal(checkHttpTarget("http://metadata.test/x", new URL("http://metadata.test/x"), defaults, resolver));
    expect(metadata).toBe(
      "Source http://metadata.test/x is not allowed: its host resolves to 169.254.169.254, a cloud metadata address, and by default only public addresses may be reached; list it in TIDEMARK_SOURCE_ALLOW (comma-separated URI prefixes) on the worker to allow it.",
    );
    expect(await refusal(checkHttpTarget("s", new URL("http://private.test/x"), defaults, resolver))).toContain("10.1.2.3, a private address");
    expect(await refusal(checkHttpTarget("s", new URL("http://mixed.test/x"), defaults, resolver))).toContain("192.168.1.9, a private address");
    expect(await refusal(checkHttpTarget("s", new URL("http://v6-local.test/x"), defaults, resolver))).toContain("a unique-local address");
    expect(await refusal(checkHttpTarget("s", new URL("http://127.0.0.1:9/x"), defaults, resolver))).toContain("127.0.0.1, a loopback address");
    expect(await refusal(checkHttpTarget("s", new URL("http://[::1]:9/x"), defaults, resolver))).toContain("::1, a loopback address");
    expect(await refusal(checkHttpTarget("s", new URL("http://169.254.169.254/latest/meta-data/"), defaults, resolver))).toContain("a cloud metadata address");
  });

  it("returns the checked public address to connect to", async () => {
    expect(await checkHttpTarget("s", new URL("https://public.test/a.csv"), defaults, resolver)).toEqual({ address: "93.184.216.34", family: 4 });
  });
});

describe("an explicit TIDEMARK_SOURCE_ALLOW", () => {
  it("parses prefixes and rejects entries that are not URI prefixes", () => {
    expect(parseAllowList("file:///srv/data/, https://data.example.com/exports/ s3://bucket/in/,/opt/x")).toEqual([
      "file:///srv/data/",
      "https://data.example.com/exports/",
      "s3://bucket/in/",
      "file:///opt/x",
    ]);
    expect(() => parseAllowList("ftp://host/")).toThrow(SourceConfigError);
    expect(() => parseAllowList("relative/dir")).toThrow(SourceConfigError);
    expect(() => parseAllowList("https://h/?token=1")).toThrow(SourceConfigError);
  });

  it("matches scheme, exact host, port when given and path prefix", () => {
    const u = (s: string) => new URL(s);
    expect(matchesPrefix(u("http://127.0.0.1:8080/a"), "http://127.0.0.1")).toBe(true);
    expect(matchesPrefix(u("http://127.0.0.1.evil.test/a"), "http://127.0.0.1")).toBe(false);
    expect(matchesPrefix(u("http://127.0.0.1:8081/a"), "http://127.0.0.1:8080/")).toBe(false);
    expect(matchesPrefix(u("https://h.test/exports/x.csv"), "https://h.test/exports/")).toBe(true);
    expect(matchesPrefix(u("https://h.test/other/x.csv"), "https://h.test/exports/")).toBe(false);
    expect(matchesPrefix(u("https://h.test/exports/../other/x.csv"), "https://h.test/exports/")).toBe(false);
    expect(matchesPrefix(u("http://h.test/exports/x.csv"), "https://h.test/exports/")).toBe(false);
    expect(matchesPrefix(u("s3://any/k"), "s3://")).toBe(true);
  });

  it("allows listed hosts whatever they resolve to, and nothing else", async () => {
    const policy: SourcePolicy = { allow: ["http://private.test/"], fileRoots: [], storeBucket: null };
    expect(await checkHttpTarget("s", new URL("http://private.test/a"), policy, resolver)).toEqual({ address: "10.1.2.3", family: 4 });
    asked.length = 0;
    expect(await refusal(checkHttpTarget("s", new URL("http://public.test/a"), policy, resolver))).toContain("no prefix in TIDEMARK_SOURCE_ALLOW covers it");
    expect(asked).toEqual([]);
  });
});

describe("file sources", () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "tm-allow-")));
  const datasets = join(root, "datasets");
  mkdirSync(datasets);
  writeFileSync(join(datasets, "ok.csv"), "a\n1\n");
  symlinkSync("/etc", join(datasets, "etc-link"));
  symlinkSync("/etc/passwd", join(datasets, "passwd.csv"));
  const policy = sourcePolicyFromEnv({}, { datasetsDir: datasets, cwd: join(root, "cwd") });

  it("allows files under the datasets directory and the working directory by default", async () => {
    expect(await checkFileSource("s", join(datasets, "ok.csv"), policy)).toBe(join(datasets, "ok.csv"));
    expect(await checkFileSource("s", join(root, "cwd", "missing.csv"), policy)).toBe(join(root, "cwd", "missing.csv"));
  });

  it("refuses paths outside, .. escapes and symlinks that lead out", async () => {
    expect(await refusal(checkFileSource("file:///etc/passwd", "/etc/passwd", policy))).toMatch(/^Source file:\/\/\/etc\/passwd is not allowed: file sources must be under the datasets directory or the worker's working directory \(.*\); list it in TIDEMARK_SOURCE_ALLOW/);
    expect(await refusal(checkFileSource("s", "/proc/self/environ", policy))).toContain("not allowed");
    expect(await refusal(checkFileSource("s", join(datasets, "..", "..", "etc", "passwd"), policy))).toContain("not allowed");
    expect(await refusal(checkFileSource("s", join(datasets, "etc-link", "passwd"), policy))).toContain("symlink");
    expect(await refusal(checkFileSource("s", join(datasets, "passwd.csv"), policy))).toContain("symlink");
  });

  it("never treats / as an allowed working directory", () => {
    expect(sourcePolicyFromEnv({}, { datasetsDir: datasets, cwd: "/" }).fileRoots).toEqual([datasets]);
  });
});

describe("s3 sources", () => {
  it("allow only the store's bucket by default", () => {
    expect(() => checkS3Source("s", new URL("s3://store-bucket/in/x.csv"), defaults)).not.toThrow();
    expect(() => checkS3Source("s3://other/x.csv", new URL("s3://other/x.csv"), defaults)).toThrow(
      "Source s3://other/x.csv is not allowed: by default only the store's own bucket (store-bucket) may be read; list it in TIDEMARK_SOURCE_ALLOW (comma-separated URI prefixes) on the worker to allow it.",
    );
    expect(() => checkS3Source("s", new URL("s3://store-bucket/x"), { ...defaults, storeBucket: null })).toThrow(SourceNotAllowedError);
  });
});
