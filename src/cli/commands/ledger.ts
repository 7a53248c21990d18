import type { Command } from "commander";
import type { LedgerVerifyResult } from "../../ledger/invariants";
import { TidemarkError } from "../../errors";
import { verifyLedgerWorkflowId } from "../../ledger/payment";
import { CliContext } from "../client";
import { say, sayJson } from "../output";
import { ledgerName } from "./ledger-context";
import { registerLedgerPublish } from "./ledger-publish";
import { runMaintenance } from "./verify";

/** `ledger verify` found discrepancies (exit 1). */
export class LedgerFindingsError extends TidemarkError {}

/**
 * `tidemark ledger verify`: runs the `verifyLedger` workflow and prints every finding; exits 1 when
 * there is one. `tidemark ledger publish`: ingests the ledger's read models.
 */
export function registerLedger(program: Command): void {
  const ledger = program.command("ledger").description("check the payments ledger and publish its read models");
  ledger
    .command("verify")
    .description("fold every wallet and check heads, money conservation, refunds and gateway charges")
    .option("--ledger <id>", "ledger (env TIDEMARK_LEDGER, default \"default\")")
    .option("--json", "machine-readable output")
    .action(async (opts: { ledger?: string; json?: boolean }) => {
      const name = ledgerName(opts.ledger);
      const ctx = new CliContext();
      let result: LedgerVerifyResult;
      try {
        result = await runMaintenance<LedgerVerifyResult>(await ctx.temporal(), ctx.config.taskQueue, "verifyLedger", verifyLedgerWorkflowId(name), { ledger: name }, `ledger verify of ${name}`);
      } finally {
        await ctx.close();
      }
      if (opts.json) sayJson(result);
      else {
        for (const f of result.findings) say(`${f.check}\t${f.object}\t${f.problem}`);
        for (const t of result.totals) say(`${t.currency}\tcredits ${t.credits}\tcharged ${t.charged}\topen ${t.open}\tbalances ${t.balances}`);
        say(`ledger ${name}: ${result.wallets} wallets, ${result.events} events, ${result.findings.length === 0 ? "clean" : `${result.findings.length} findings`}${result.chargesChecked ? "" : ` (gateway charges not checked: ${result.chargesNotChecked ?? "the gateway cannot list them"})`}`);
      }
      if (result.findings.length > 0) throw new LedgerFindingsError(`Ledger ${name} has ${result.findings.length} findings; see them above.`);
    });
  registerLedgerPublish(ledger);
}
