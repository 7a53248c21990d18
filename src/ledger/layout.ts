/** Digits a seq is zero-padded to in event keys, so a listing returns events in seq order. */
export const SEQ_DIGITS = 12;

/** Object keys of one ledger (SPEC §12): `ledgers/<ledger>/wallets/<wallet>/{events/<seq>.json, head.json}`. */
export class LedgerLayout {
  /** Store key prefix of the ledger, ending in "/". */
  readonly root: string;
  constructor(readonly ledger: string) {
    this.root = `ledgers/${ledger}/`;
  }
  /** Prefix under which every wallet of the ledger lives. */
  walletsPrefix(): string {
    return `${this.root}wallets/`;
  }
  /** Prefix of one wallet, ending in "/". */
  wallet(wallet: string): string {
    return `${this.walletsPrefix()}${wallet}/`;
  }
  /** Prefix of a wallet's events. */
  eventsPrefix(wallet: string): string {
    return `${this.wallet(wallet)}events/`;
  }
  /** Key of event `seq` of a wallet (create-only). */
  event(wallet: string, seq: number): string {
    return `${this.eventsPrefix(wallet)}${String(seq).padStart(SEQ_DIGITS, "0")}.json`;
  }
  /** The seq an event key names (0 for a key that names none). */
  seqOf(key: string): number {
    const m = /\/events\/(\d+)\.json$/.exec(key);
    return m ? Number(m[1]) : 0;
  }
  /** Key of a wallet's head snapshot (changed only by CAS). */
  head(wallet: string): string {
    return `${this.wallet(wallet)}head.json`;
  }
  /** The wallet id of a key under {@link walletsPrefix}, or undefined. */
  walletOf(key: string): string | undefined {
    if (!key.startsWith(this.walletsPrefix())) return undefined;
    return key.slice(this.walletsPrefix().length).split("/")[0] || undefined;
  }
}
