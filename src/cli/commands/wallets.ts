import { randomUUID } from "node:crypto";
import type { Command } from "commander";
import { CurrencyMismatchError, WalletNotFoundError } from "../../ledger/errors";
import { parseAmountText, requireCurrency, requireOpId, requireWalletId } from "../../ledger/ids";
import { CliContext } from "../client";
import { say, sayJson } from "../output";
import { ledgerName, openLedger } from "./ledger-context";

/** `tidemark wallets create|credit|show`: wallets on the ledger in the store, directly (no workflow). */
export function registerWallets(program: Command): void {
  const wallets = program.command("wallets").description("create, credit and show wallets of a ledger (amounts in minor units)");

  wallets
    .command("create")
    .description("create a wallet with a currency (creating it again with the same currency does nothing)")
    .argument("<wallet>", "wallet id")
    .requiredOption("--currency <code>", "three-letter currency, e.g. EUR")
    .option("--ledger <id>", "ledger (env TIDEMARK_LEDGER, default \"default\")")
    .option("--json", "machine-readable output")
    .action(async (wallet: string, opts: { currency: string; ledger?: string; json?: boolean }) => {
      requireWalletId(wallet);
      const currency = requireCurrency(opts.currency);
      const ledger = await openLedger(new CliContext(), opts.ledger);
      const { created, view } = await ledger.createWallet(wallet, currency);
      if (opts.json) return sayJson({ ...view, created });
      say(created ? `created wallet ${wallet} (${currency}) in ledger ${view.ledger}` : `wallet ${wallet} already exists (${currency}), balance ${view.balance}`);
    });

  wallets
    .command("credit")
    .description("add money to a wallet once per --op-id")
    .argument("<wallet>", "wallet id")
    .argument("<amount>", "amount in minor units (1250 = 12.50)")
    .option("--currency <code>", "currency of the amount (default: the wallet's)")
    .option("--op-id <id>", "operation id: a credit is applied at most once per op id (default: a new id)")
    .option("--ledger <id>", "ledger (env TIDEMARK_LEDGER, default \"default\")")
    .option("--json", "machine-readable output")
    .action(async (wallet: string, amountText: string, opts: { currency?: string; opId?: string; ledger?: string; json?: boolean }) => {
      requireWalletId(wallet);
      const amount = parseAmountText(amountText);
      const opId = requireOpId(opts.opId ?? randomUUID());
      const currency = opts.currency === undefined ? undefined : requireCurrency(opts.currency);
      const ledger = await openLedger(new CliContext(), opts.ledger);
      const view = await ledger.show(wallet);
      if (!view) throw new WalletNotFoundError(ledger.ledger, wallet);
      if (currency && currency !== view.currency) throw new CurrencyMismatchError(wallet, view.currency, currency);
      const r = await ledger.credit(wallet, opId, amount, view.currency);
      if (r.status !== "applied") throw new Error("a credit cannot lack funds");
      const out = { ledger: ledger.ledger, wallet, op_id: opId, amount, currency: view.currency, balance: r.balance, replayed: r.replayed };
      if (opts.json) return sayJson(out);
      say(r.replayed ? `credit ${opId} was already applied; balance ${r.balance} ${view.currency}` : `credited ${amount} ${view.currency} to ${wallet} (op ${opId}); balance ${r.balance} ${view.currency}`);
    });

  wallets
    .command("show")
    .description("a wallet's currency, balance and last event seq")
    .argument("<wallet>", "wallet id")
    .option("--ledger <id>", "ledger (env TIDEMARK_LEDGER, default \"default\")")
    .option("--json", "machine-readable output")
    .action(async (wallet: string, opts: { ledger?: string; json?: boolean }) => {
      requireWalletId(wallet);
      const view = await (await openLedger(new CliContext(), opts.ledger)).show(wallet);
      if (!view) throw new WalletNotFoundError(ledgerName(opts.ledger), wallet);
      if (opts.json) return sayJson(view);
      say(`${view.wallet}\t${view.balance} ${view.currency}\tseq ${view.seq}\tledger ${view.ledger}`);
    });
}
