/**
 * Checks a load generator's acknowledgement logs against what a `file://` store holds after the
 * run: the current version's projection (read by DuckDB) plus the inbox fragments no published
 * version consumed. Every acknowledged id must be found exactly once; an id found in the inbox must
 * be in the fragment its acknowledgement named, and one found in the projection must have been
 * acknowledged in a fragment some version lists in `source.fragments`.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parsePointer, parseVersionManifest, type VersionManifest } from "../../src/manifest/schema.js";
import { projectionPaths } from "../../src/manifest/month-files.js";

/** What the check found. */
export interface AckCheck {
  /** Acknowledged records in the logs. */
  readonly acknowledged: number;
  /** Records found: rows of the current projection plus records in unconsumed inbox fragments. */
  readonly stored: number;
  /** Rows of the current version's projection. */
  readonly published: number;
  /** Records in inbox fragments no version consumed. */
  readonly inInbox: number;
  /** Inbox fragments no version consumed. */
  readonly fragments: number;
  /** Versions reachable from the pointer. */
  readonly versions: number;
  /** Fragments the versions consumed (`source.fragments`). */
  readonly consumedFragments: number;
  /** Acknowledged ids found nowhere. */
  readonly missing: number;
  /** Acknowledged ids found in another fragment than the acknowledgement named, or published although no version consumed that fragment. */
  readonly elsewhere: number;
  /** Ids found more than once. */
  readonly duplicated: number;
  /** Up to 5 examples of problems. */
  readonly examples: string[];
}

const sqlText = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** Every manifest reachable from the dataset's pointer, newest first; none before its first version. */
function versionChain(root: string): VersionManifest[] {
  const pointer = join(root, "current", "manifest.json");
  if (!existsSync(pointer)) return [];
  const out: VersionManifest[] = [];
  let path: string | null = parsePointer(readFileSync(pointer)).manifest;
  while (path) {
    const m = parseVersionManifest(readFileSync(join(root, path)));
    out.push(m);
    path = m.parent_version ? `events/${m.parent_version}/manifest.json` : null;
  }
  return out;
}

/** Reads the store directory `storeDir` after the run and checks the logs against it. */
export async function checkAcks(storeDir: string, dataset: string, logPaths: readonly string[]): Promise<AckCheck> {
  const root = join(storeDir, "datasets", dataset);
  const chain = versionChain(root);
  const consumed = new Set(chain.flatMap((m) => m.source.fragments ?? []));
  const projection = chain.length ? projectionPaths(chain[0].projections).map((p) => join(root, p)) : [];
  const inbox = join(root, "inbox");
  const fragments = existsSync(inbox) ? readdirSync(inbox).filter((n) => !n.startsWith(".") && !consumed.has(n)) : [];
  const scratch = mkdtempSync(join(tmpdir(), "tidemark-check-"));
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  const one = async (sql: string) => Number(Object.values((await conn.runAndReadAll(sql)).getRowObjects()[0])[0]);
  try {
    writeFileSync(join(scratch, "consumed.ndjson"), [...consumed].map((f) => JSON.stringify({ fragment: f }) + "\n").join(""));
    const ndjson = (files: string, columns: string) => `read_ndjson(${files}, columns={${columns}}, filename=true)`;
    await conn.run(
      consumed.size
        ? `CREATE TABLE consumed AS SELECT fragment FROM read_ndjson(${sqlText(join(scratch, "consumed.ndjson"))}, columns={fragment:'VARCHAR'})`
        : "CREATE TABLE consumed (fragment VARCHAR)",
    );
    await conn.run(
      logPaths.length
        ? `CREATE TABLE acks AS SELECT id, fragment FROM ${ndjson(`[${logPaths.map(sqlText).join(",")}]`, "id:'VARCHAR', fragment:'VARCHAR'")}`
        : "CREATE TABLE acks (id VARCHAR, fragment VARCHAR)",
    );
    await conn.run(projection.length ? `CREATE TABLE published AS SELECT CAST(id AS VARCHAR) AS id FROM read_parquet([${projection.map(sqlText).join(",")}], hive_partitioning = false)` : "CREATE TABLE published (id VARCHAR)");
    await conn.run(
      fragments.length
        ? `CREATE TABLE inbox AS SELECT id, parse_filename(filename) AS fragment FROM ${ndjson(sqlText(join(inbox, "[0-9]*")), "id:'VARCHAR'")} WHERE parse_filename(filename) NOT IN (SELECT fragment FROM consumed)`
        : "CREATE TABLE inbox (id VARCHAR, fragment VARCHAR)",
    );
    await conn.run("CREATE TABLE found AS SELECT id, NULL::VARCHAR AS fragment FROM published UNION ALL SELECT id, fragment FROM inbox");
    const problems = await conn.runAndReadAll(`
      SELECT a.id, a.fragment AS acked, f.fragment AS found, f.id IS NULL AS missing FROM acks a LEFT JOIN found f USING (id)
      WHERE f.id IS NULL OR (f.fragment IS NOT NULL AND f.fragment <> a.fragment) OR (f.fragment IS NULL AND a.fragment NOT IN (SELECT fragment FROM consumed))
      LIMIT 5`);
    const examples = problems.getRowObjects().map((r) => (r.missing ? `${String(r.id)} acknowledged in ${String(r.acked)} but found nowhere` : `${String(r.id)} acknowledged in ${String(r.acked)} but found ${r.found === null ? "published from an unconsumed fragment" : `in ${String(r.found)}`}`));
    const dupes = await conn.runAndReadAll("SELECT id, count(*) AS n FROM found GROUP BY id HAVING count(*) > 1 LIMIT 5");
    for (const r of dupes.getRowObjects()) if (examples.length < 5) examples.push(`${String(r.id)} found ${String(r.n)} times`);
    return {
      acknowledged: await one("SELECT count(*) FROM acks"),
      stored: await one("SELECT count(*) FROM found"),
      published: await one("SELECT count(*) FROM published"),
      inInbox: await one("SELECT count(*) FROM inbox"),
      fragments: fragments.length,
      versions: chain.length,
      consumedFragments: consumed.size,
      missing: await one("SELECT count(*) FROM acks a ANTI JOIN found f USING (id)"),
      elsewhere: await one(`SELECT count(*) FROM acks a JOIN found f USING (id) WHERE (f.fragment IS NOT NULL AND f.fragment <> a.fragment) OR (f.fragment IS NULL AND a.fragment NOT IN (SELECT fragment FROM consumed))`),
      duplicated: await one("SELECT count(*) FROM (SELECT id FROM found GROUP BY id HAVING count(*) > 1)"),
      examples,
    };
  } finally {
    conn.closeSync();
    instance.closeSync();
    rmSync(scratch, { recursive: true, force: true });
  }
}
