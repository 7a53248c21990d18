import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FragmentIds, fragmentTime, isFragmentId } from "../../src/intake/fragment-id";
import { encodeRows, isoDate, isoMicros } from "../../src/intake/encode";
import { Validity, tableFrom, timestampColumn, utf8Column } from "../../src/parquet";
import { RateLimiter } from "../../src/intake/rate";
import { IngestTokensError, TokenTable, allowsDataset, allowsPayments } from "../../src/intake/tokens";
import { tempDir } from "./bed";

const t = tempDir("units");
afterAll(() => t.cleanup());

describe("ingest tokens", () => {
  it("parses token@ds1|ds2 entries and grants by scope", () => {
    const table = TokenTable.parse("alpha-token@ds1|ds2, star-token-1@*,pay-token-1@payments");
    const alpha = table.check("Bearer alpha-token")!;
    expect(allowsDataset(alpha, "ds2")).toBe(true);
    expect(allowsDataset(alpha, "ds3")).toBe(false);
    expect(allowsPayments(alpha)).toBe(false);
    expect(allowsPayments(table.check("bearer star-token-1")!)).toBe(true);
    expect(allowsPayments(table.check("Bearer pay-token-1")!)).toBe(true);
    expect(allowsDataset(table.check("Bearer pay-token-1")!, "ds1")).toBe(false);
    expect(table.check("Bearer alpha-tokem")).toBeNull();
    expect(table.check("alpha-token")).toBeNull();
    expect(table.check(undefined)).toBeNull();
  });

  it("answers a remembered Authorization value as the first time, also after the memory of them starts over", () => {
    const table = TokenTable.parse("alpha-token@ds1,beta-token-1@ds2");
    const first = table.check("Bearer alpha-token")!;
    expect(table.check("Bearer alpha-token")).toEqual(first);
    expect(table.check("Bearer alpha-tokem")).toBeNull();
    expect(table.check("Bearer alpha-tokem")).toBeNull();
    const headers = Array.from({ length: TokenTable.MAX_REMEMBERED + 10 }, (_, i) => `Bearer${" ".repeat(i + 1)}beta-token-1`);
    for (const h of headers) expect(allowsDataset(table.check(h)!, "ds2")).toBe(true);
    for (const h of headers) expect(table.check(h)!.label).toBe("token-2");
    expect(table.check("Bearer alpha-token")).toEqual(first);
    expect(table.check("Bearer alpha-token ")!.label).toBe("token-1");
  });

  it("reads a file named by the variable, with comments and one entry per line", () => {
    const path = join(t.dir, "tokens");
    writeFileSync(path, "# ingest tokens\nfile-token-1@ds1\n\nfile-token-2@*  # ops\n");
    const table = TokenTable.parse(path);
    expect(table.size).toBe(2);
    expect(allowsDataset(table.check("Bearer file-token-2")!, "x")).toBe(true);
  });

  it("refuses a token listed in two entries, whose second scope would be ignored, without echoing it", () => {
    const spec = "repeated-token-1@clicks,other-token-1@orders\nrepeated-token-1@orders";
    expect(() => TokenTable.parse(spec)).toThrow('Entries 1 and 3 of TIDEMARK_INGEST_TOKENS hold the same token; list it once with all its datasets, as "token@dataset1|dataset2".');
    try {
      TokenTable.parse(spec);
    } catch (err) {
      expect(String(err)).not.toContain("repeated-token-1");
    }
  });

  it("rejects malformed entries without echoing the token", () => {
    expect(() => TokenTable.parse("short@ds1")).toThrow(IngestTokensError);
    expect(() => TokenTable.parse("long-enough-token")).toThrow(/Entry 1 of TIDEMARK_INGEST_TOKENS is not/);
    let message = "";
    try {
      TokenTable.parse("ok-token-1@ds1,secret-value-xyz@");
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^Entry 2 /);
    expect(message).not.toContain("secret-value-xyz");
    expect(() => TokenTable.parse(join(t.dir, "missing"))).toThrow(/cannot be read \(ENOENT\)/);
  });
});

describe("fragment ids", () => {
  it("sort by time, stay ordered within a millisecond and when the clock steps back, and parse back", () => {
    const clock = [1_700_000_000_000, 1_700_000_000_000, 1_699_999_999_000, 1_700_000_000_001];
    const ids = new FragmentIds(() => clock.shift()!);
    const made = [ids.next(), ids.next(), ids.next(), ids.next()];
    expect([...made].sort()).toEqual(made);
    expect(new Set(made).size).toBe(4);
    for (const id of made) expect(isFragmentId(id)).toBe(true);
    expect(made[0].startsWith("20231114T221320000Z-000000-")).toBe(true);
    expect(fragmentTime(made[3])?.getTime()).toBe(1_700_000_000_001);
    expect(fragmentTime("nope")).toBeUndefined();
  });

  it("sort after the newest id another server wrote, whatever this clock says, and move to the next millisecond when its counter is used up", () => {
    const ids = new FragmentIds(() => 1_700_000_000_000);
    const ahead = "20231114T221325000Z-000007-aaaaaaaaaaaa";
    const made = [ids.next(ahead), ids.next(), ids.next("20231114T221320000Z-000000-ffffffffffff")];
    expect([ahead, ...made].sort()).toEqual([ahead, ...made]);
    expect(made[0].startsWith("20231114T221325000Z-000008-")).toBe(true);
    const full = new FragmentIds(() => 1_700_000_000_000);
    const last = full.next("20231114T221320000Z-999999-aaaaaaaaaaaa");
    expect(last.startsWith("20231114T221320001Z-000000-")).toBe(true);
    expect(full.next() > last).toBe(true);
  });

  it("differ between two servers in the same millisecond", () => {
    const a = new FragmentIds(() => 1_700_000_000_000).next();
    const b = new FragmentIds(() => 1_700_000_000_000).next();
    expect(a).not.toBe(b);
  });
});

describe("rate limiter", () => {
  it("allows a burst, then refills at the rate and says when to retry", () => {
    let now = 0;
    const rate = new RateLimiter(2, 3, () => now);
    expect([rate.take("t"), rate.take("t"), rate.take("t")]).toEqual([null, null, null]);
    expect(rate.take("t")).toEqual({ retryAfterSeconds: 1 });
    expect(rate.take("u")).toBeNull();
    now = 500;
    expect(rate.take("t")).toBeNull();
    expect(rate.take("t")).not.toBeNull();
  });
});

describe("fragment encoding", () => {
  it("writes dates and microsecond timestamps in UTC ISO form, before and after the epoch", () => {
    expect(isoDate(0)).toBe("1970-01-01");
    expect(isoDate(20_000)).toBe("2024-10-04");
    expect(isoMicros(1_704_164_645_123_456n)).toBe("2024-01-02T03:04:05.123456Z");
    expect(isoMicros(-1n)).toBe("1969-12-31T23:59:59.999999Z");
  });

  it("encodes rows of timestamps (repeated seconds, before the epoch, past 2^53 µs, null) and strings (escapes, UTF-8) like the cell-by-cell forms", () => {
    const micros = [1_704_164_645_123_456n, 1_704_164_645_999_999n, 1_704_164_646_000_000n, -1n, -1_000_000n, -1_000_001n, 9_007_199_254_740_991n, 9_007_199_254_740_993n, 253_402_300_799_999_999n, 5n];
    const strings = ['plain', 'quote " and \\ backslash', "tab\tnew\nline", "é ü 😀", "", "x", "y", "z", "w", "v"];
    const validity = new Validity(micros.length);
    validity.setNull(9);
    const table = tableFrom({ at: timestampColumn(BigInt64Array.from(micros), validity), s: utf8Column(strings.map((v, i) => (i === 8 ? null : v))) });
    const lines = encodeRows(table).toString("utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as { at: string | null; s: string | null });
    expect(lines.map((l) => l.at)).toEqual(micros.map((m, i) => (i === 9 ? null : isoMicros(m))));
    expect(lines.map((l) => l.s)).toEqual(strings.map((v, i) => (i === 8 ? null : v)));
  });
});
