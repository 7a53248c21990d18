import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Client } from "@temporalio/client";
import { parseDefinition } from "../../src/definition";
import type { DatasetDefinition } from "../../src/definition/schema";
import type { IntakeLimits } from "../../src/intake/options";
import { startIntakeServer, type IntakeServer } from "../../src/intake/server";
import { TokenTable } from "../../src/intake/tokens";
import type { ObjectStore } from "../../src/store/types";
import { testClient } from "../support/temporal";

/** Tokens of the test server: `clicks` may push to clicks only, `all` everywhere, `pay` the payments API only. */
export const TOKENS = { clicks: "tok-clicks-0001", all: "tok-all-000001", pay: "tok-pay-000001", other: "tok-other-0001" };
export const TOKEN_SPEC = `${TOKENS.clicks}@clicks,${TOKENS.all}@*,${TOKENS.pay}@payments,${TOKENS.other}@orders`;

/** The push dataset of the tests. */
export const CLICKS_YAML = `id: clicks
source: { push: {} }
schema:
  columns:
    - { name: id, type: string }
    - { name: at, type: timestamp }
    - { name: n, type: int }
    - { name: price, type: decimal }
    - { name: ok, type: bool }
    - { name: note, type: string }
  key: [id]
  partition_by: at
`;

/** A dataset read from a file, not pushed. */
export const FILED_YAML = `id: filed
source: { uri: "file:///nowhere/filed.csv" }
schema:
  columns:
    - { name: id, type: string }
    - { name: day, type: date }
  key: [id]
  partition_by: day
`;

/** Every definition the test server knows. */
export function definitions(clicksYaml = CLICKS_YAML): DatasetDefinition[] {
  return [parseDefinition(clicksYaml, "clicks.yaml"), parseDefinition(FILED_YAML, "filed.yaml")];
}

/** A running test server on 127.0.0.1 and what it writes to. */
export interface IntakeBed {
  server: IntakeServer;
  url: string;
  store: ObjectStore;
  post(path: string, body: string | Buffer, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>;
  close(): Promise<void>;
}

/** Starts a server on `store` (loopback, any free port); its Temporal client is the given one, or a test client opened on first use and closed with the bed. It requests compactions only with `compact: true`. */
export async function startBed(
  store: ObjectStore,
  limits: Partial<IntakeLimits> = {},
  payments: { client?: Client; ledger?: string; taskQueue?: string; compact?: boolean; definitionsYaml?: string; warn?: (line: string) => void } = {},
): Promise<IntakeBed> {
  let own: Promise<Client> | undefined;
  const temporal = () => (payments.client ? Promise.resolve(payments.client) : (own ??= testClient()));
  const server = await startIntakeServer(
    { store, definitions: definitions(payments.definitionsYaml), tokens: TokenTable.parse(TOKEN_SPEC), limits, temporal, taskQueue: payments.taskQueue ?? "tidemark-intake-test", ledger: payments.ledger ?? "intake-test", compact: payments.compact ?? false, ...(payments.warn ? { warn: payments.warn } : {}) },
    "127.0.0.1",
    0,
  );
  return {
    server,
    url: server.url,
    store,
    post: (path, body, headers = {}) => request(server.url, "POST", path, body, headers),
    async close() {
      await server.close();
      if (own) await (await own).connection.close();
    },
  };
}

/** One HTTP request; the JSON body (or `{text}` when not JSON). */
export async function request(base: string, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(base + path, { method, body, headers, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Headers of an NDJSON push with a token. */
export function ndjsonHeaders(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson", ...extra };
}

/** NDJSON of records. */
export function ndjson(records: readonly object[]): string {
  return records.map((r) => JSON.stringify(r)).join("\n") + "\n";
}

/** Gzipped bytes. */
export function gzip(text: string): Buffer {
  return gzipSync(Buffer.from(text));
}

/** A click record with id `id`. */
export function click(id: string, n = 1): Record<string, unknown> {
  return { id, at: "2026-11-29T10:00:00Z", n, price: "1.50", ok: true, note: `note ${id}` };
}

/** What a click record looks like in a fragment (normalized). */
export function normalizedClick(id: string, n = 1): Record<string, unknown> {
  return { id, at: "2026-11-29T10:00:00.000000Z", n, price: "1.5", ok: true, note: `note ${id}` };
}

/** Every key under `prefix` with its size. */
export async function listing(store: ObjectStore, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(`${o.key} ${o.size}`);
  return out;
}

/** The records of every fragment of a dataset's inbox, by fragment id. */
export async function fragments(store: ObjectStore, dataset: string): Promise<Map<string, Record<string, unknown>[]>> {
  const out = new Map<string, Record<string, unknown>[]>();
  const prefix = `datasets/${dataset}/inbox/`;
  for await (const o of store.list(prefix)) {
    const text = Buffer.from((await store.get(o.key)).body).toString("utf8");
    out.set(o.key.slice(prefix.length), text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>));
  }
  return out;
}

/** A temporary directory removed by `cleanup`. */
export function tempDir(label: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `tidemark-intake-${label}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Polls `probe` until it returns true, at most `timeoutMs`. */
export async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The value of a metric sample in a Prometheus text exposition, or 0. */
export async function metric(base: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(" ").pop()) : 0;
}
