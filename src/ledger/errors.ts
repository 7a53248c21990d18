import { TidemarkError } from "../errors.js";

/** A payment, wallet or ledger input is malformed (amount, currency, id); nothing was written. */
export class PaymentInputError extends TidemarkError {}

/** The wallet has no events: it was never created. */
export class WalletNotFoundError extends TidemarkError {
  constructor(readonly ledger: string, readonly wallet: string) {
    super(`Wallet "${wallet}" does not exist in ledger "${ledger}"; create it first with "tidemark wallets create ${wallet} --currency XXX".`);
  }
}

/** A wallet already exists with another currency than the one asked for. */
export class WalletExistsError extends TidemarkError {
  constructor(readonly wallet: string, readonly currency: string) {
    super(`Wallet "${wallet}" already exists with currency ${currency}; use another wallet id or that currency.`);
  }
}

/** An operation's currency differs from the wallet's. */
export class CurrencyMismatchError extends TidemarkError {
  constructor(readonly wallet: string, readonly walletCurrency: string, readonly currency: string) {
    super(`Wallet "${wallet}" holds ${walletCurrency}, not ${currency}; use the wallet's currency.`);
  }
}

/** An op id was already applied to the wallet with other parameters. */
export class OpConflictError extends TidemarkError {
  constructor(readonly wallet: string, readonly opId: string) {
    super(`Operation "${opId}" was already applied to wallet "${wallet}" with other parameters; use a new operation id.`);
  }
}

/** The stored events of a wallet break the ledger's rules (gap, negative balance, bad event). */
export class LedgerCorruptError extends TidemarkError {
  constructor(readonly wallet: string, readonly problem: string) {
    super(`Ledger of wallet "${wallet}" is inconsistent: ${problem}; run "tidemark ledger verify" and restore the wallet's events from a backup.`);
  }
}

/** Too many writers raced for the same wallet; the operation was not applied and may be retried. */
export class LedgerContentionError extends TidemarkError {
  override readonly retryable = true;
  constructor(readonly wallet: string) {
    super(`Wallet "${wallet}" is changing too fast to append to; retry the operation.`);
  }
}

/** A payment id was started before with other parameters. */
export class PaymentConflictError extends TidemarkError {
  /** @param unsettled The existing payment's run ended before it settled: its deduction waits for a start with its own parameters. */
  constructor(readonly paymentId: string, readonly existing: string, readonly unsettled = false) {
    super(
      unsettled
        ? `Payment "${paymentId}" already exists with other parameters (${existing}) and its run ended before it settled; start it again with those parameters so it settles, and use a new payment id for this one.`
        : `Payment "${paymentId}" already exists with other parameters (${existing}); use a new payment id.`,
    );
  }
}

/** No payment has this id. */
export class PaymentNotFoundError extends TidemarkError {
  constructor(readonly paymentId: string) {
    super(`Payment "${paymentId}" does not exist; check the id with "tidemark payments list".`);
  }
}
