/**
 * Validation of concurrent NDJSON requests of one dataset in one pass: bodies whose reading ended
 * in the same turn of the event loop are validated together, which takes the fixed cost of a
 * validation once instead of per request. The outcome per request is the one validating it alone
 * gives: a combined pass is used only when it accepts every record and no request leaves a
 * column null in all its records (where alone it could be "missing"); otherwise each request is
 * validated on its own, so errors name the request's own record and line.
 */
import type { Table } from "apache-arrow";
import type { DatasetDefinition } from "../definition/schema.js";
import { type RecordLimits, type ValidatedRecords, countNdjsonRecords, validateRecords } from "./records.js";

interface Pending {
  readonly body: Buffer;
  resolve(v: ValidatedRecords): void;
  reject(err: unknown): void;
}

/** Bytes validated together at most. */
const MAX_COMBINED_BYTES = 4 * 1024 * 1024;

function settle(p: Pending, work: Promise<ValidatedRecords>): Promise<void> {
  return work.then(p.resolve, p.reject);
}

function allNull(table: Table, column: number, from: number, to: number): boolean {
  const vector = table.getChildAt(column)!;
  if (vector.nullCount === 0) return false;
  for (let i = from; i < to; i++) if (vector.isValid(i)) return false;
  return true;
}

/** Line ends of the first `counts[k]` lines of each part, as byte ranges of `ndjson`. */
function split(ndjson: Buffer, counts: number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let p = 0;
  for (const n of counts) {
    let e = p;
    for (let k = 0; k < n; k++) e = ndjson.indexOf(10, e) + 1;
    out.push([p, e]);
    p = e;
  }
  return out;
}

/** Validates one dataset's NDJSON bodies, coalescing those that arrive together. */
export class CoalescingValidator {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly nullable: number[];

  /** `check` validates one body (tests count its calls). */
  constructor(
    private readonly def: DatasetDefinition,
    private readonly limits: RecordLimits,
    private readonly check: typeof validateRecords = validateRecords,
  ) {
    this.nullable = def.schema.columns.flatMap((c, j) => (c.nullable ? [j] : []));
  }

  /** The validated records of one NDJSON body (already decompressed); rejects as {@link validateRecords} would. */
  validate(body: Buffer): Promise<ValidatedRecords> {
    return new Promise<ValidatedRecords>((resolve, reject) => {
      this.queue.push({ body, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const all = this.queue;
    this.queue = [];
    this.scheduled = false;
    let group: Pending[] = [];
    let bytes = 0;
    for (const p of all) {
      if (group.length > 0 && bytes + p.body.length > MAX_COMBINED_BYTES) {
        await this.together(group);
        group = [];
        bytes = 0;
      }
      group.push(p);
      bytes += p.body.length;
    }
    if (group.length > 0) await this.together(group);
  }

  private alone(p: Pending): Promise<void> {
    return settle(p, this.check(this.def, p.body, "ndjson", this.limits));
  }

  private async together(group: Pending[]): Promise<void> {
    if (group.length === 1) return this.alone(group[0]);
    let counts: number[];
    try {
      counts = group.map((p) => countNdjsonRecords(p.body, this.limits.maxRecordBytes));
    } catch {
      for (const p of group) await this.alone(p);
      return;
    }
    const parts = group.flatMap((p) => (p.body.length > 0 && p.body[p.body.length - 1] !== 10 ? [p.body, Buffer.from("\n")] : [p.body]));
    let combined: ValidatedRecords;
    try {
      combined = await this.check(this.def, Buffer.concat(parts), "ndjson", this.limits);
    } catch {
      for (const p of group) await this.alone(p);
      return;
    }
    if (combined.count !== counts.reduce((a, b) => a + b, 0)) {
      for (const p of group) await this.alone(p);
      return;
    }
    const ranges = split(combined.ndjson, counts);
    let row = 0;
    for (const [k, p] of group.entries()) {
      const from = row;
      row += counts[k];
      if (counts[k] === 0 || this.nullable.some((j) => allNull(combined.table!, j, from, row))) {
        await this.alone(p);
        continue;
      }
      const [s, e] = ranges[k];
      p.resolve({ count: counts[k], ndjson: combined.ndjson.subarray(s, e) });
    }
  }
}
