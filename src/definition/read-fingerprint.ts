/**
 * The read fingerprint of a definition: what decides which rows a source's bytes become. A version
 * records it (manifest `source.read`), and an ingest whose source bytes are unchanged is only
 * "unchanged" when the fingerprint is too. Pure and free of Node built-ins, so workflows compute it.
 */
import type { DatasetDefinition, SourceFormat } from "./schema.js";

/** The scheme of {@link readFingerprint}'s value (its prefix). */
export const READ_FINGERPRINT = "tidemark.read/1";

/**
 * Revisions of the readers of formats whose fixes change the rows that bytes read before became
 * (JSON and NDJSON: a leading byte order mark; Parquet: binary text, decimals and nested 64-bit
 * integers; XLSX: formula results of 0 and formula dates). A dataset of such a format is read again
 * once after an upgrade, even with unchanged bytes, so the fixed values reach its current version.
 * CSV has none: its fingerprints stay as they were, and its datasets are not read again.
 */
export const READER_REVISIONS: Readonly<Partial<Record<SourceFormat, number>>> = { json: 2, ndjson: 2, parquet: 2, xlsx: 2 };

/**
 * The definition's parts that turn source bytes into rows (format, reader options, columns and
 * their casts, key, partitioning, unpivot, mode and the duplicate and bad-row policies, and the
 * format's reader revision unless `readerRevisions` is false: histories recorded before revisions
 * existed replay without them), hashed. The id, description, source URI, push settings,
 * projections, notifications, schedule and `max_parts` are left out: changing them does not change
 * the rows.
 */
export function readFingerprint(def: DatasetDefinition, { readerRevisions = true }: { readerRevisions?: boolean } = {}): string {
  const parts = {
    reader: readerRevisions ? READER_REVISIONS[def.source.format] : undefined,
    format: def.source.format,
    options: def.source.options,
    schema: def.schema,
    unpivot: def.unpivot ?? null,
    mode: def.mode,
    allow_empty_snapshot: def.allow_empty_snapshot,
    duplicates: def.duplicates,
    on_bad_rows: def.on_bad_rows,
  };
  return `${READ_FINGERPRINT}:${fnv1a64(canonicalJson(parts))}`;
}

/** JSON with every object's keys sorted, so equal values give equal text; undefined members are left out. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** 64-bit FNV-1a of a string's UTF-16 code units, as 16 hex digits. */
function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, "0");
}
