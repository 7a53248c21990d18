import { requireLedgerId } from "../../ledger/ids";
import { DEFAULT_LEDGER } from "../../ledger/payment";
import { LedgerStore } from "../../ledger/store";
import type { CliContext } from "../client";

/** The `--ledger` option's value, else `TIDEMARK_LEDGER`, else the default ledger; validated. */
export function ledgerName(option: string | undefined): string {
  return requireLedgerId(option ?? (process.env.TIDEMARK_LEDGER || DEFAULT_LEDGER));
}

/** The ledger of a command on the configured store. */
export async function openLedger(ctx: CliContext, option: string | undefined): Promise<LedgerStore> {
  return new LedgerStore(await ctx.store(), ledgerName(option));
}
