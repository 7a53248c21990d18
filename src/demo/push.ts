/** The demo's push part: a burst of records over HTTP through `tidemark serve`, compacted into versions by Temporal, read back. */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { loadVersion, projectionFiles, versionChain } from "../cli/dataset-view";
import { tableObjects } from "../cli/render";
import { type DatasetDefinition, validateDefinitionObject } from "../definition";
import type { EmbeddedStack } from "../devstack/embedded";
import { startIntakeServer } from "../intake/server";
import { TokenTable } from "../intake/tokens";
import { DatasetLayout } from "../layout";
import { decodeParquet } from "../parquet";
import type { ObjectStore } from "../store/types";

/** The demo's push dataset. */
export const PUSH_DATASET = "clicks";

/** Requests of the burst, records per request, and the records re-sent with new values afterwards. */
const REQUESTS = 20;
const PER_REQUEST = 250;
const UPDATED = 100;

/** The push dataset's definition (compacted every second). */
export function pushDefinition(): Record<string, unknown> {
  return {
    id: PUSH_DATASET,
    description: "Clicks pushed over HTTP to tidemark serve (demo)",
    source: { push: { compact_interval: "1s" } },
    schema: {
      columns: [
        { name: "click_id", type: "string" },
        { name: "at", type: "timestamp" },
        { name: "page", type: "string" },
        { name: "ms", type: "int" },
      ],
      key: ["click_id"],
      partition_by: "at",
    },
  };
}

/** Writes the push dataset's definition into the demo's datasets directory. */
export function writePushDefinition(datasetsDir: string): DatasetDefinition {
  const definition = pushDefinition();
  const checked = validateDefinitionObject(definition, `${PUSH_DATASET} demo definition`);
  writeFileSync(join(datasetsDir, `${PUSH_DATASET}.yaml`), stringify(definition));
  return checked;
}

/** What the burst did. */
export interface PushOutcome {
  acknowledged: number;
  /** click_id → ms as the last acknowledged request sent it. */
  sent: Map<string, number>;
  /** click_id → ms as published. */
  published: Map<string, number>;
  versions: number;
}

function record(i: number, ms: number): string {
  const at = new Date(Date.UTC(2026, 10, 30, 9, 0, 0) + i * 1000).toISOString();
  return JSON.stringify({ click_id: `c${String(i).padStart(5, "0")}`, at, page: `/page/${i % 17}`, ms });
}

async function post(url: string, token: string, lines: string[]): Promise<number> {
  const res = await fetch(`${url}/v1/datasets/${PUSH_DATASET}/records`, {
    method: "POST", body: `${lines.join("\n")}\n`, signal: AbortSignal.timeout(30_000),
    headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" },
  });
  const body = (await res.json()) as { accepted?: number; error?: string };
  if (res.status !== 202) throw new Error(`tidemark serve answered ${res.status}: ${body.error ?? JSON.stringify(body)}`);
  return body.accepted ?? 0;
}

async function publishedRows(store: ObjectStore): Promise<{ rows: Map<string, number>; versions: number; inbox: number }> {
  const layout = new DatasetLayout(PUSH_DATASET);
  let inbox = 0;
  for await (const _ of store.list(layout.key(layout.inbox()))) inbox++;
  const rows = new Map<string, number>();
  let versions = 0;
  if (!(await store.head(layout.key(layout.pointer())).catch(() => null))) return { rows, versions, inbox };
  for await (const _ of versionChain(store, PUSH_DATASET)) versions++;
  const view = await loadVersion(store, PUSH_DATASET);
  for (const f of projectionFiles(store, view, "latest")) {
    for (const r of tableObjects(decodeParquet((await store.get(layout.key(f.path))).body))) rows.set(String(r.click_id), Number(r.ms));
  }
  return { rows, versions, inbox };
}

/**
 * Starts `tidemark serve` in this process on a free loopback port, pushes a burst of records from
 * concurrent requests, then re-sends some with new values, and waits (bounded) until compaction
 * has published all of them and emptied the inbox.
 */
export async function pushBurst(stack: EmbeddedStack, store: ObjectStore, definition: DatasetDefinition, say: (line: string) => void): Promise<PushOutcome> {
  const token = `demo-${randomBytes(12).toString("hex")}`;
  const server = await startIntakeServer(
    { store, definitions: [definition], tokens: TokenTable.parse(`${token}@${PUSH_DATASET}`), temporal: async () => stack.client, taskQueue: stack.taskQueue, ledger: "demo" },
    "127.0.0.1",
    0,
  );
  try {
    say(`push: tidemark serve on ${server.url}; ${REQUESTS} concurrent requests of ${PER_REQUEST} records, then ${UPDATED} records re-sent with new values`);
    const sent = new Map<string, number>();
    const started = Date.now();
    const burst = Array.from({ length: REQUESTS }, (_, r) => Array.from({ length: PER_REQUEST }, (_, k) => r * PER_REQUEST + k));
    let acknowledged = 0;
    for (const n of await Promise.all(burst.map((ids) => post(server.url, token, ids.map((i) => record(i, 100 + (i % 900))))))) acknowledged += n;
    for (const ids of burst) for (const i of ids) sent.set(`c${String(i).padStart(5, "0")}`, 100 + (i % 900));
    const updates = Array.from({ length: UPDATED }, (_, i) => i * 7);
    acknowledged += await post(server.url, token, updates.map((i) => record(i, 5000 + i)));
    for (const i of updates) sent.set(`c${String(i).padStart(5, "0")}`, 5000 + i);
    const ackedAt = Date.now();
    say(`  acknowledged ${acknowledged.toLocaleString("en-US")} records in ${ackedAt - started} ms (each 202 after its fragment was durable)`);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const seen = await publishedRows(store);
      const done = seen.inbox === 0 && seen.rows.size === sent.size && [...sent].every(([id, ms]) => seen.rows.get(id) === ms);
      if (done) {
        say(`  compacted into ${seen.versions} version${seen.versions === 1 ? "" : "s"}; all ${seen.rows.size.toLocaleString("en-US")} keys visible ${((Date.now() - ackedAt) / 1000).toFixed(1)} s after the last acknowledgement, the re-sent ones with their new values; inbox empty`);
        return { acknowledged, sent, published: seen.rows, versions: seen.versions };
      }
      if (Date.now() > deadline) throw new Error(`push: compaction did not publish the burst within 120 s (${seen.rows.size} of ${sent.size} keys, ${seen.inbox} fragments waiting); check the worker's log.`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await server.close();
  }
}
