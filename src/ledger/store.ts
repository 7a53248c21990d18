import { AlreadyExistsError, NotFoundError, PreconditionFailedError } from "../errors.js";
import type { ObjectStore } from "../store/types.js";
import { LedgerContentionError, LedgerCorruptError, WalletExistsError, WalletNotFoundError } from "./errors.js";
import { CREATE_OP, creditOpId, deductOpId, EVENT_FORMAT, parseEvent, refundOpId, serializeEvent, type LedgerEvent, type PendingEvent } from "./events.js";
import { applyEvent, decide, foldOrThrow, type WalletState } from "./fold.js";
import type { WalletHead, WalletRecord } from "./invariants.js";
import { LedgerLayout } from "./layout.js";

/** Format tag of `head.json`. */
export const HEAD_FORMAT = "tidemark.wallet-head/1";

/**
 * Outcome of appending an operation: applied (now, or by an earlier attempt), refused for lack of
 * funds, or — for a deduction — applied and refunded before (its payment already ended refunded).
 */
export type AppendResult =
  | { status: "applied"; event: LedgerEvent; balance: number; replayed: boolean }
  | { status: "insufficient_funds"; balance: number }
  | { status: "already_refunded"; event: LedgerEvent; balance: number };

/** A wallet as a reader sees it: the head rolled forward to the last event. */
export interface WalletView {
  ledger: string;
  wallet: string;
  currency: string;
  balance: number;
  seq: number;
}

/** Appends a wallet gives up after when other writers win every race. */
const MAX_APPEND_ATTEMPTS = 500;
/** Objects read at once when a wallet's whole log is loaded. */
const READ_CONCURRENCY = 8;

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  });
  await Promise.all(lanes);
  return out;
}

function balanceChange(e: LedgerEvent): number {
  if (e.type === "WalletDeducted") return -e.amount;
  if (e.type === "WalletCreated") return 0;
  return e.amount;
}

/**
 * One ledger on an object store (SPEC §12). Appending writes event `seq + 1` create-only — the
 * optimistic lock: of concurrent writers exactly one creates it, the others re-read and decide again
 * — then rolls `head.json` forward by CAS. Folded states are cached per wallet; events never change,
 * so the cache only ever needs the events after its seq.
 */
export class LedgerStore {
  private readonly layout: LedgerLayout;
  private readonly cache = new Map<string, WalletState>();

  constructor(private readonly store: ObjectStore, readonly ledger: string, private readonly now: () => Date = () => new Date()) {
    this.layout = new LedgerLayout(ledger);
  }

  /** Creates a wallet (event 1); creating it again with the same currency is a no-op, with another currency a {@link WalletExistsError}. */
  async createWallet(wallet: string, currency: string): Promise<{ created: boolean; view: WalletView }> {
    const event: LedgerEvent = { format: EVENT_FORMAT, seq: 1, op_id: CREATE_OP, currency, at: this.now().toISOString(), type: "WalletCreated", wallet };
    let created = true;
    try {
      await this.store.put(this.layout.event(wallet, 1), serializeEvent(event), { kind: "create" });
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      created = false;
      const first = await this.readEvent(wallet, 1);
      if (!first || first.currency !== currency) throw new WalletExistsError(wallet, first?.currency ?? "unknown");
    }
    const state = await this.catchUp(wallet);
    await this.advanceHead(state!);
    return { created, view: this.viewOf(state!) };
  }

  /** Credits `amount` under the caller's op id (applied at most once). */
  credit(wallet: string, opId: string, amount: number, currency: string): Promise<AppendResult> {
    return this.append(wallet, { type: "WalletCredited", op_id: creditOpId(opId), amount, currency });
  }

  /** Deducts a payment's amount, or reports insufficient funds; a retry finds its event, or that the deduction was already refunded. */
  deduct(wallet: string, paymentId: string, amount: number, currency: string): Promise<AppendResult> {
    return this.append(wallet, { type: "WalletDeducted", op_id: deductOpId(paymentId), payment_id: paymentId, amount, currency });
  }

  /** Gives back a payment's deduction (at most once). */
  refund(wallet: string, paymentId: string, amount: number, currency: string): Promise<AppendResult> {
    return this.append(wallet, { type: "WalletRefunded", op_id: refundOpId(paymentId), payment_id: paymentId, amount, currency });
  }

  /** The wallet from its head plus any events written after it (rolling the head forward), or null when it does not exist. */
  async show(wallet: string): Promise<WalletView | null> {
    const loaded = await this.loadHead(wallet);
    const head = loaded && !loaded.garbled ? loaded : null;
    if (!head) {
      const state = await this.catchUp(wallet);
      if (!state) return null;
      await this.advanceHead(state);
      return this.viewOf(state);
    }
    let { seq, balance } = head.head;
    for (let e = await this.readEvent(wallet, seq + 1); e; e = await this.readEvent(wallet, seq + 1)) {
      seq = e.seq;
      balance += balanceChange(e);
    }
    const view = { ledger: this.ledger, wallet, currency: head.currency, balance, seq };
    if (seq > head.head.seq) await this.writeHead(wallet, head.currency, { seq, balance });
    return view;
  }

  /**
   * Every event and the head of a wallet, read fresh (for verify). The head is read first: it only
   * ever names events already written, so the events read after it hold them all and a head ahead
   * of its events is a real discrepancy, never a write that landed between the two reads.
   */
  async readRecord(wallet: string): Promise<WalletRecord> {
    const unreadable: NonNullable<WalletRecord["unreadable"]> = [];
    let head: WalletHead | null = null;
    try {
      head = (await this.readHead(wallet))?.head ?? null;
    } catch (err) {
      if (!(err instanceof LedgerCorruptError)) throw err;
      unreadable.push({ check: "head", problem: err.problem });
    }
    const events = await this.readAllEvents(wallet, (problem) => unreadable.push({ check: "events", problem }));
    return { wallet, events, head, ...(unreadable.length > 0 ? { unreadable } : {}) };
  }

  /** Ids of every wallet of the ledger. */
  async listWallets(): Promise<string[]> {
    const wallets = new Set<string>();
    for await (const info of this.store.list(this.layout.walletsPrefix())) {
      const w = this.layout.walletOf(info.key);
      if (w) wallets.add(w);
    }
    return [...wallets].sort();
  }

  private async append(wallet: string, op: PendingEvent): Promise<AppendResult> {
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      const state = await this.catchUp(wallet);
      if (!state) throw new WalletNotFoundError(this.ledger, wallet);
      const decision = decide(state, op);
      if (decision.kind === "insufficient") return { status: "insufficient_funds", balance: decision.balance };
      if (decision.kind === "refunded") return { status: "already_refunded", event: decision.event, balance: state.balance };
      if (decision.kind === "duplicate") {
        await this.rollHeadAfter(state);
        return { status: "applied", event: decision.event, balance: state.balance, replayed: true };
      }
      const event = { ...decision.event, format: EVENT_FORMAT, seq: state.seq + 1, at: this.now().toISOString() } as LedgerEvent;
      try {
        await this.store.put(this.layout.event(wallet, event.seq), serializeEvent(event), { kind: "create" });
      } catch (err) {
        if (err instanceof AlreadyExistsError) continue;
        throw err;
      }
      const next = applyEvent(state, event);
      if (typeof next === "string") throw new LedgerCorruptError(wallet, next);
      this.remember(wallet, next);
      await this.rollHeadAfter(next);
      return { status: "applied", event, balance: next.balance, replayed: false };
    }
    throw new LedgerContentionError(wallet);
  }

  /** Folds every event of the wallet not yet in the cache; null when the wallet has no events. */
  private async catchUp(wallet: string): Promise<WalletState | null> {
    let state = this.cache.get(wallet) ?? null;
    if (!state) state = foldOrThrow(wallet, null, await this.readAllEvents(wallet));
    for (let e = state ? await this.readEvent(wallet, state.seq + 1) : null; e; e = await this.readEvent(wallet, state!.seq + 1)) {
      state = foldOrThrow(wallet, state, [e]);
    }
    if (state) this.remember(wallet, state);
    return state;
  }

  private remember(wallet: string, state: WalletState): void {
    const known = this.cache.get(wallet);
    if (!known || known.seq < state.seq) this.cache.set(wallet, state);
  }

  /**
   * Every readable event of the wallet in seq order. An object that is not an event at its key throws
   * {@link LedgerCorruptError}, or with `unreadable` is passed to it and left out.
   */
  private async readAllEvents(wallet: string, unreadable?: (problem: string) => void): Promise<LedgerEvent[]> {
    const read = async (load: () => Promise<LedgerEvent | null>): Promise<LedgerEvent | null> => {
      try {
        return await load();
      } catch (err) {
        if (!unreadable || !(err instanceof LedgerCorruptError)) throw err;
        unreadable(err.problem);
        return null;
      }
    };
    const keys: string[] = [];
    for await (const info of this.store.list(this.layout.eventsPrefix(wallet))) keys.push(info.key);
    const events = await mapLimit(keys, READ_CONCURRENCY, (key) => read(() => this.parseAt(wallet, key)));
    const sorted = events.filter((e): e is LedgerEvent => e !== null).sort((a, b) => a.seq - b.seq);
    let last = keys.reduce((max, key) => Math.max(max, this.layout.seqOf(key)), 0);
    for (let e = await read(() => this.readEvent(wallet, last + 1)); e; e = await read(() => this.readEvent(wallet, last + 1))) {
      sorted.push(e);
      last = e.seq;
    }
    return sorted;
  }

  private async readEvent(wallet: string, seq: number): Promise<LedgerEvent | null> {
    try {
      return await this.parseAt(wallet, this.layout.event(wallet, seq));
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }

  private async parseAt(wallet: string, key: string): Promise<LedgerEvent> {
    const { body } = await this.store.get(key);
    const parsed = parseEvent(body);
    if (typeof parsed === "string") throw new LedgerCorruptError(wallet, `${key}: ${parsed}`);
    if (this.layout.event(wallet, parsed.seq) !== key) throw new LedgerCorruptError(wallet, `${key} holds seq ${parsed.seq}`);
    return parsed;
  }

  private async readHead(wallet: string): Promise<{ head: WalletHead; currency: string; etag: string } | null> {
    const loaded = await this.loadHead(wallet);
    if (loaded?.garbled) throw new LedgerCorruptError(wallet, "head.json is not JSON");
    return loaded;
  }

  /** The head as stored; `garbled` when it is not JSON (a snapshot anyone may roll forward over). */
  private async loadHead(wallet: string): Promise<{ garbled: false; head: WalletHead; currency: string; etag: string } | { garbled: true; etag: string } | null> {
    let res;
    try {
      res = await this.store.get(this.layout.head(wallet));
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
    try {
      const value = JSON.parse(Buffer.from(res.body).toString("utf8")) as { seq: number; balance: number; currency: string };
      return { garbled: false, head: { seq: value.seq, balance: value.balance }, currency: value.currency, etag: res.etag };
    } catch {
      return { garbled: true, etag: res.etag };
    }
  }

  /**
   * Rolls the head forward after an op is applied. The event is the record and the head a snapshot any
   * later reader rolls forward, so a refused head write never turns an applied op into a failure.
   */
  private async rollHeadAfter(state: WalletState): Promise<void> {
    await this.advanceHead(state).catch(() => undefined);
  }

  private advanceHead(state: WalletState): Promise<void> {
    return this.writeHead(state.wallet, state.currency, { seq: state.seq, balance: state.balance });
  }

  /** Rolls the head forward to `to` by CAS unless it is already there or further (a garbled head is behind); never moves it back. */
  private async writeHead(wallet: string, currency: string, to: WalletHead): Promise<void> {
    const body = `${JSON.stringify({ format: HEAD_FORMAT, ledger: this.ledger, wallet, currency, seq: to.seq, balance: to.balance })}\n`;
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      const current = await this.loadHead(wallet);
      if (current && !current.garbled && current.head.seq >= to.seq) return;
      try {
        await this.store.put(this.layout.head(wallet), body, current ? { kind: "update", etag: current.etag } : { kind: "create" });
        return;
      } catch (err) {
        if (!(err instanceof PreconditionFailedError || err instanceof AlreadyExistsError)) throw err;
      }
    }
  }

  private viewOf(state: WalletState): WalletView {
    return { ledger: this.ledger, wallet: state.wallet, currency: state.currency, balance: state.balance, seq: state.seq };
  }
}
