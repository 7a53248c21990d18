import { describe, expect, it } from "vitest";
import { parseDefinition } from "../../src/definition";
import type { DatasetDefinition } from "../../src/definition/schema";
import { NdjsonValidator } from "../../src/intake/ndjson-validator";
import { validateRecords } from "../../src/intake/records";

const limits = { maxBodyBytes: 1 << 20, maxRecordBytes: 200 };

/** A push dataset with a key, a partition timestamp and column `v` declared as `column` (YAML flow mapping body). */
function dataset(column: string, options = ""): DatasetDefinition {
  return parseDefinition(
    `id: diff
source: { push: {}${options ? `, options: { ${options} }` : ""} }
schema:
  columns:
    - { name: id, type: string }
    - { name: at, type: timestamp }
    - { name: v, ${column} }
  key: [id]
  partition_by: at
`,
    "diff.yaml",
  );
}

type Outcome = { ok: string; count: number } | { error: string; status: number; details: unknown };

/** What the normalizer alone answers (the behaviour before the compiled validator). */
function normalizer(def: DatasetDefinition, body: Buffer): Promise<Outcome> {
  return validateRecords(def, body, "ndjson", limits).then(
    (r) => ({ ok: r.ndjson.toString("utf8"), count: r.count }),
    (err: Error & { status: number; details?: unknown }) => ({ error: err.message, status: err.status, details: err.details }),
  );
}

/** What the records route answers: the compiled validator, and the normalizer when it returns null. */
async function route(v: NdjsonValidator, def: DatasetDefinition, body: Buffer): Promise<{ outcome: Outcome; compiled: boolean }> {
  const fast = v.validate(body);
  if (fast) return { outcome: { ok: fast.ndjson.toString("utf8"), count: fast.count }, compiled: true };
  return { outcome: await normalizer(def, body), compiled: false };
}

/** Column declarations, each with a value it accepts. */
const COLUMNS: Record<string, [string, string]> = {
  string: ["type: string", '"s"'],
  "string untrimmed": ["type: string, trim: false", '"s"'],
  "string not nullable": ["type: string, nullable: false", '"s"'],
  int: ["type: int", "1"],
  double: ["type: double", "1"],
  decimal: ["type: decimal", "1"],
  "decimal as double": ["type: decimal, decimal: double", "1"],
  bool: ["type: bool", "true"],
  "bool with tokens": ["type: bool, true_values: [Oui, X], false_values: [non]", "true"],
  date: ["type: date", '"2024-01-02"'],
  "date with format": ['type: date, format: "DD/MM/YYYY"', '"02/01/2024"'],
  "date as a number": ['type: date, format: "YYYYMMDD"', "20240102"],
  timestamp: ["type: timestamp", '"2024-01-02T00:00:00Z"'],
  "timestamp not nullable": ["type: timestamp, nullable: false", '"2024-01-02T00:00:00Z"'],
  "timestamp with format": ['type: timestamp, format: "YYYY-MM-DD HH:mm:ss.SSS"', '"2024-01-02 00:00:00.000"'],
};

const OPTIONS: Record<string, string> = { defaults: "", "NA nulls and decimal comma": 'null_values: ["", NA], decimal_separator: ","' };

/** JSON numbers a double does not hold exactly: the compiled validator leaves them to the normalizer, which keeps their digits. */
const LONG = ['0.123456789012345678', '12345678901234567.89', '-9223372036854775808', '9223372036854775808', '123456789012345678901234567890', '9007199254740993'];

/** JSON texts of `v`; undefined leaves the field out of the record. */
const VALUES: (string | undefined)[] = [
  ...['abc', '  padded  ', '', 'NA', ' NA ', 'tab\tx', 'quote " back \\', 'été', '\ud800 lone', 'é ü 😀', '\u2028'].map((s) => JSON.stringify(s)),
  '"\\u00e9t\\u00e9"', '"\\/"', '" x"',
  ...['12', '  42  ', '-0', '1,5', '1.000,5', '1,000', '1.000', '1e3', '12.50', '0.000', 'NaN', 'inf', '-Infinity', '9007199254740993', '9223372036854775807', '9223372036854775808', '123456789012345678', '0x1F'].map((s) => JSON.stringify(s)),
  ...['true', 'YES', 'oui', 'x', 'Non', '0', '1', 'maybe'].map((s) => JSON.stringify(s)),
  ...['2024-02-29', '2023-02-29', '1000-01-01', '0999-12-31', '02/03/2024', '31/02/2024', '20240203', '2024-13-01'].map((s) => JSON.stringify(s)),
  ...['2024-01-02T03:04:05.123456789Z', '2024-01-02 03:04', '2024-01-02t03:04:05z', '2024-01-02T03:04:05+05:30', '2024-01-02T23:30:00-01:00', '0001-01-01T00:00:00+01:00', '9999-12-31T23:30:00-01:00', '2024-01-02T24:00', '2024-01-02 03:04:05.678', '2024-01-02T03:04:05.1234567891Z', '1969-12-31T23:59:59.999999Z', '1000-01-01T00:00:00.000001Z', '1970-01-01T00:00:00.0000009Z', '2024-01-02T03:04:05.000100+00:00'].map((s) => JSON.stringify(s)),
  '0', '-0', '1', '-17', '1.5', '1.0', '1e3', '1E-2', '2.5e+2', '0.1', '123456789012345', '1234567890123456', '9007199254740991', '-9007199254740991', '100000', '-10', '1e21', '1e400', '-1e400', '20240203', '1700000000000',
  ...LONG,
  'true', 'false', 'null', '{"a":1,"b":[true,null]}', '[1,"x"]', '{}',
  undefined,
];

describe("compiled NDJSON validation against the normalizer, value by value", () => {
  for (const [optionName, options] of Object.entries(OPTIONS)) {
    for (const [columnName, [column, good]] of Object.entries(COLUMNS)) {
      it(`${columnName} column, ${optionName}: every value gets the normalizer's output or its error`, async () => {
        const def = dataset(column, options);
        const v = new NdjsonValidator(def, limits);
        for (const value of VALUES) {
          const field = value === undefined ? "" : `,"v":${value}`;
          const body = Buffer.from(`{"id":"a","at":"2026-01-01T00:00:00Z","v":${good}}\n{"id":"b","at":"2026-01-01T00:00:01Z"${field}}\n`);
          const want = await normalizer(def, body);
          const got = await route(v, def, body);
          expect(got.outcome, `${columnName} ${value}`).toEqual(want);
          expect(got.compiled, `${columnName} ${value} decided by the compiled validator`).toBe("ok" in want && !LONG.includes(value ?? ""));
        }
      });
    }
  }
});

const EVENTS = parseDefinition(
  `id: events
source: { push: {} }
schema:
  columns:
    - { name: id, type: string }
    - { name: at, type: timestamp }
    - { name: seq, type: int }
    - { name: payload, type: string, from: body }
    - { name: copy, type: int, from: seq }
  key: [id]
  partition_by: at
`,
  "events.yaml",
);

const rec = (id: string, extra = "") => `{"id":"${id}","at":"2026-01-01T00:00:00.5Z","seq":7,"body":"x"${extra}}`;

/** Whole bodies: line shapes, JSON forms and errors. `compiled` says whether the compiled validator must decide it itself. */
const BODIES: { what: string; body: string | Buffer; compiled: boolean }[] = [
  { what: "flat records, last line without a newline", body: `${rec("a")}\n${rec("b")}`, compiled: true },
  { what: "CRLF line ends, blank lines and spaces around records", body: `\r\n  ${rec("a")}  \r\n\t\n${rec("b")}\r\n\n`, compiled: true },
  { what: "fields in another order, spaces inside, unknown fields of every kind", body: `{ "seq" : 1 , "body":"y","zz":{"q":[1,{"r":"\\u0041"}]},"id":"a", "at":"2026-01-01T00:00:00Z","n":-1.5e-3,"t":true,"f":false,"u":null}\n`, compiled: true },
  { what: "a duplicate field (the last one counts)", body: `{"id":"a","at":"2026-01-01T00:00:00Z","seq":1,"seq":2,"body":"x"}\n`, compiled: true },
  { what: "an escaped field name", body: `{"i\\u0064":"a","at":"2026-01-01T00:00:00Z","seq":1,"body":"x"}\n`, compiled: true },
  { what: "escapes in values", body: `{"id":"a\\"b\\\\c\\n\\u0000\\ud83d\\ude00","at":"2026-01-01T00:00:00Z","seq":1,"body":"\\t tab"}\n`, compiled: true },
  { what: "a field present in only some records", body: `${rec("a")}\n{"id":"b","at":"2026-01-01T00:00:00Z","body":"x"}\n`, compiled: true },
  { what: "an empty object among records", body: `${rec("a")}\n{}\n`, compiled: false },
  { what: "a field missing from every record", body: `{"id":"a","at":"2026-01-01T00:00:00Z","seq":1}\n`, compiled: false },
  { what: "a line of carriage returns", body: `${rec("a")}\n\r\r\n${rec("b")}\n`, compiled: false },
  { what: "a line of spaces before a carriage return and more spaces", body: `${rec("a")}\n \r \n`, compiled: false },
  { what: "invalid JSON", body: `${rec("a")}\n{"id":"b",}\n`, compiled: false },
  { what: "a trailing character", body: `${rec("a")}x\n`, compiled: false },
  { what: "a bad escape", body: `{"id":"a\\q","at":"2026-01-01T00:00:00Z","seq":1,"body":"x"}\n`, compiled: false },
  { what: "a raw control character in a string", body: `{"id":"a\u0001","at":"2026-01-01T00:00:00Z","seq":1,"body":"x"}\n`, compiled: false },
  { what: "numbers JSON does not allow", body: `${rec("a", ',"n":01')}\n`, compiled: false },
  { what: "a line that is a list", body: `${rec("a")}\n[1]\n`, compiled: false },
  { what: "a line that is a string", body: `"x"\n`, compiled: false },
  { what: "a byte-order mark", body: `\ufeff${rec("a")}\n`, compiled: false },
  { what: "invalid UTF-8", body: Buffer.concat([Buffer.from(`${rec("a")}\n{"id":"`), Buffer.from([0xc3, 0x28]), Buffer.from(`","at":"2026-01-01T00:00:00Z","seq":1,"body":"x"}\n`)]), compiled: false },
  { what: "a record over the byte limit", body: `${rec("a", `,"pad":"${"p".repeat(200)}"`)}\n`, compiled: false },
  { what: "a record over the byte limit once normalized", body: `${rec("a").replace('"x"', `"${"\\u00e9".repeat(20)}${"é".repeat(70)}"`)}\n`, compiled: false },
  { what: "only blank lines", body: "\n \n\r\n", compiled: false },
  { what: "a key that is null", body: `${rec("a")}\n{"id":null,"at":"2026-01-01T00:00:00Z","seq":1,"body":"x"}\n`, compiled: false },
  { what: "a wrong type", body: `${rec("a")}\n${rec("b", ',"seq":"seven"')}\n`, compiled: false },
];

describe("compiled NDJSON validation against the normalizer, body by body", () => {
  it.each(BODIES.map((b) => [b.what, b] as const))("%s", async (_what, c) => {
    const body = Buffer.isBuffer(c.body) ? c.body : Buffer.from(c.body);
    const v = new NdjsonValidator(EVENTS, limits);
    const got = await route(v, EVENTS, body);
    expect(got.outcome).toEqual(await normalizer(EVENTS, body));
    expect(got.compiled).toBe(c.compiled);
  });

  it("validates a body of 70,000 records (more than one reader batch) like the normalizer", async () => {
    const body = Buffer.from(Array.from({ length: 70_000 }, (_, i) => `{"id":"r${i}","at":"2026-01-01T00:00:${String(i % 60).padStart(2, "0")}.${i}Z","seq":${i},"body":"${"é".repeat(i % 7)}"}`).join("\n"));
    const fast = new NdjsonValidator(EVENTS, { maxBodyBytes: 1e8, maxRecordBytes: 1e5 }).validate(body);
    const want = await validateRecords(EVENTS, body, "ndjson", { maxBodyBytes: 1e8, maxRecordBytes: 1e5 });
    expect(fast?.count).toBe(70_000);
    expect(fast?.ndjson.equals(want.ndjson)).toBe(true);
  });

  it("keeps each accepted body's lines intact while later bodies, accepted, refused and repeating or changing timestamps, are validated", async () => {
    const v = new NdjsonValidator(EVENTS, limits);
    const bodies = Array.from({ length: 400 }, (_, i) => {
      const at = `2026-01-01T00:00:0${i % 3}.${i % 2 ? "5" : "25"}Z`;
      const lines = Array.from({ length: 1 + (i % 5) }, (_, k) => `{"id":"b${i}-${k}","at":"${k % 2 ? "2026-01-02T00:00:00Z" : at}","seq":${k},"body":"${"x".repeat(k * 20)}"}`);
      if (i % 7 === 0) lines.push(`{"id":"b${i}-bad","at":"not a time","seq":1,"body":"y"}`);
      return Buffer.from(lines.join("\n"));
    });
    const kept: { ndjson: Buffer; copy: Buffer; body: Buffer }[] = [];
    for (const body of bodies) {
      const fast = v.validate(body);
      if (fast) kept.push({ ndjson: fast.ndjson, copy: Buffer.from(fast.ndjson), body });
    }
    expect(kept.length).toBe(bodies.filter((_, i) => i % 7 !== 0).length);
    for (const k of kept) {
      expect(k.ndjson.equals(k.copy)).toBe(true);
      expect(k.ndjson.toString()).toBe((await validateRecords(EVENTS, k.body, "ndjson", limits)).ndjson.toString());
    }
  });

  it("leaves a definition whose field is named like an Object.prototype member to the normalizer", async () => {
    const def = parseDefinition(EVENTS_WITH("constructor"), "proto.yaml");
    const v = new NdjsonValidator(def, limits);
    const body = Buffer.from(`{"id":"a","at":"2026-01-01T00:00:00Z","seq":1,"body":"x","constructor":"c"}\n{"id":"b","at":"2026-01-01T00:00:00Z","seq":1,"body":"x"}\n`);
    expect(v.validate(body)).toBeNull();
    expect((await route(v, def, body)).outcome).toEqual(await normalizer(def, body));
  });
});

/** A small deterministic generator (mulberry32), so the generated bodies are the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MIXED = parseDefinition(
  `id: mixed
source: { push: {}, options: { null_values: ["", "-"] } }
schema:
  columns:
    - { name: id, type: string }
    - { name: at, type: timestamp }
    - { name: n, type: int }
    - { name: x, type: double }
    - { name: d, type: decimal }
    - { name: ok, type: bool }
    - { name: day, type: date }
    - { name: s, type: string, trim: false }
  key: [id]
  partition_by: at
`,
  "mixed.yaml",
);

/** The one generated number a double does not hold (12345678901234568 as a double): a body with it is left to the normalizer. */
const LONG_GENERATED = "12345678901234567";

describe("compiled NDJSON validation against the normalizer, generated bodies", () => {
  it("gives the normalizer's answer for 600 generated bodies of mixed good and bad values", async () => {
    const next = random(20261130);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
    const texts = ["a", " b ", "", "-", "é😀", 'q"\\', "\t", "12", "1,5", "1e2", "true", "no", "2024-02-29", "2024-01-02T03:04:05.5+01:00", "2024-01-02 03:04", "x".repeat(40)];
    const numbers = ["0", "-0", "7", "-12", "1.25", "1e3", "2.5E-3", LONG_GENERATED, "1e400"];
    const value = (): string => {
      const r = next();
      if (r < 0.45) return JSON.stringify(pick(texts));
      if (r < 0.7) return pick(numbers);
      if (r < 0.8) return pick(["true", "false", "null"]);
      if (r < 0.85) return pick(['{"k":[1,"v"]}', "[]"]);
      return JSON.stringify(pick(texts)).replace(/[a-z]/, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
    };
    const good: Record<string, () => string> = {
      id: () => JSON.stringify(`r${Math.floor(next() * 1e6)}`),
      at: () => pick(['"2026-01-01T00:00:00Z"', '"2026-03-04T05:06:07.123456-02:00"', '" 2026-01-01 10:00 "']),
      n: () => pick(["1", '"2"', "-3", '" 4 "']),
      x: () => pick(["1.5", '"2,5e1"', "null", '"NaN"']),
      d: () => pick(["0.10", '"1,000.5"', "null", "12"]),
      ok: () => pick(["true", '"Y"', "0", "null"]),
      day: () => pick(['"2026-01-31"', "null", '"-"']),
      s: () => pick(['" pad "', "null", "3", '"é"']),
    };
    let compiled = 0;
    let refused = 0;
    for (let b = 0; b < 600; b++) {
      const lines: string[] = [];
      const records = 1 + Math.floor(next() * 4);
      for (let r = 0; r < records; r++) {
        const fields = Object.keys(good)
          .filter(() => next() > 0.05)
          .map((k) => `${pick(["", " "])}"${k}"${pick(["", " "])}:${pick(["", " "])}${next() < 0.1 ? value() : good[k]()}`);
        if (next() < 0.2) fields.push(`"extra":${value()}`);
        if (next() < 0.05) fields.push(`"n":${value()}`);
        lines.push(`${pick(["", " ", "\t"])}{${fields.join(",")}}${pick(["", " ", "\r"])}`);
        if (next() < 0.1) lines.push(pick(["", " ", "\r"]));
      }
      const body = Buffer.from(lines.join("\n") + pick(["", "\n"]));
      const got = await route(new NdjsonValidator(MIXED, limits), MIXED, body);
      const want = await normalizer(MIXED, body);
      expect(got.outcome, body.toString()).toEqual(want);
      expect(got.compiled, body.toString()).toBe("ok" in want && !body.includes(LONG_GENERATED));
      if (got.compiled) compiled++;
      else refused++;
    }
    expect(compiled).toBeGreaterThan(60);
    expect(refused).toBeGreaterThan(60);
  });
});

function EVENTS_WITH(field: string): string {
  return `id: proto
source: { push: {} }
schema:
  columns:
    - { name: id, type: string }
    - { name: at, type: timestamp }
    - { name: c, type: string, from: ${field} }
  key: [id]
  partition_by: at
`;
}
