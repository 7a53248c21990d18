/** Materializes a ledger read model (`ledger://<ledger>/events|balances`) as an NDJSON stream from the store. */
import { Readable } from "node:stream";
import { SourceNotFoundError, UnsupportedSourceError } from "../sources/errors.js";
import type { ObjectStore } from "../store/types.js";
import { LedgerCorruptError } from "./errors.js";
import { ndjson, walletRows } from "./read-model-rows.js";
import { parseLedgerUri, type ReadModel } from "./source-uri.js";
import { LedgerStore } from "./store.js";

/** An opened read-model source: NDJSON bytes, wallets in id order, each wallet's events in seq order. */
export interface OpenedLedgerSource {
  stream: Readable;
  etag: null;
  size: null;
}

async function* rowsOf(ledger: LedgerStore, wallets: string[], model: ReadModel, signal?: AbortSignal): AsyncGenerator<Buffer> {
  for (const wallet of wallets) {
    signal?.throwIfAborted();
    const { events, unreadable } = await ledger.readRecord(wallet);
    const broken = unreadable?.find((u) => u.check === "events");
    if (broken) throw new LedgerCorruptError(wallet, broken.problem);
    const rows = walletRows(wallet, events);
    const out = model === "events" ? rows.events : rows.balance ? [rows.balance] : [];
    if (out.length > 0) yield Buffer.from(ndjson(out), "utf8");
  }
}

/**
 * Opens a ledger read model of the store's ledger: every wallet is folded from its events (a
 * broken log fails with `LedgerCorruptError`). The same ledger state always gives the same bytes,
 * so an unchanged ledger ends the ingest as "unchanged". Any other `ledger:` URI is refused with
 * {@link UnsupportedSourceError} before any read; a ledger without wallets with {@link SourceNotFoundError}.
 */
export async function openLedgerSource(store: ObjectStore, uri: string, signal?: AbortSignal): Promise<OpenedLedgerSource> {
  const source = parseLedgerUri(uri);
  if (typeof source === "string") throw new UnsupportedSourceError(`Source ${JSON.stringify(uri.slice(0, 200))} ${source}.`);
  const ledger = new LedgerStore(store, source.ledger);
  const wallets = await ledger.listWallets();
  if (wallets.length === 0) {
    throw new SourceNotFoundError(`Ledger "${source.ledger}" has no wallets, so ${uri} has nothing to publish; create a wallet first ("tidemark wallets create") or check the ledger id.`);
  }
  return { stream: Readable.from(rowsOf(ledger, wallets, source.model, signal)), etag: null, size: null };
}
