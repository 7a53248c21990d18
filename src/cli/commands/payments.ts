import { WorkflowUpdateFailedError } from "@temporalio/client";
import type { Command } from "commander";
import { PaymentInputError } from "../../ledger/errors";
import { parseAmountText, requirePaymentId } from "../../ledger/ids";
import { paymentWorkflowId, validatePayment, type PaymentState, type PaymentStatus } from "../../ledger/payment";
import { describePayment, queryPayment, startPayment } from "../../ledger/payment-client";
import { withTemporal } from "../client";
import { rootFailure } from "../failure";
import { say, sayJson, UsageError } from "../output";
import { ledgerName } from "./ledger-context";
import { registerPaymentsWatch } from "./payments-watch";

const STATUSES: PaymentStatus[] = ["pending", "completed", "declined", "failed", "requires_review"];

function line(p: PaymentState): string {
  return `${p.payment_id}\t${p.status}\t${p.amount} ${p.currency}\twallet ${p.wallet}${p.reason ? `\t${p.reason}` : ""}`;
}


/** `tidemark payments start|show|list|resolve|watch|unwatch`. */
export function registerPayments(program: Command): void {
  const payments = program.command("payments").description("start, show, list and resolve payments (one workflow each)");

  payments
    .command("start")
    .description("start a payment: deduct the wallet, charge the gateway (idempotency key = payment id)")
    .argument("<payment_id>", "payment id, also the gateway idempotency key")
    .requiredOption("--wallet <id>", "wallet to pay from")
    .requiredOption("--amount <minor>", "amount in minor units (1250 = 12.50)")
    .requiredOption("--currency <code>", "three-letter currency of the wallet")
    .option("--verify-window <duration>", "how long an in-doubt charge is verified before review (e.g. 90s, 5m)")
    .option("--ledger <id>", "ledger (env TIDEMARK_LEDGER, default \"default\")")
    .option("--wait", "wait until the payment ends and print its final state")
    .option("--json", "machine-readable output")
    .action(async (paymentId: string, opts: { wallet: string; amount: string; currency: string; verifyWindow?: string; ledger?: string; wait?: boolean; json?: boolean }) => {
      const request = validatePayment({
        payment_id: paymentId, wallet: opts.wallet, amount: parseAmountText(opts.amount), currency: opts.currency, ledger: ledgerName(opts.ledger), verify_window: opts.verifyWindow,
      });
      await withTemporal(async (client, ctx) => {
        const started = await startPayment(client, await ctx.store(), ctx.config.taskQueue, request);
        if (opts.wait) {
          const final = await client.workflow.getHandle(started.workflow_id).result().catch((err) => {
            throw new PaymentInputError(`Payment ${paymentId} failed: ${rootFailure(err).message}`);
          });
          return opts.json ? sayJson(final) : say(line(final as PaymentState));
        }
        if (opts.json) return sayJson(started);
        say(`payment ${paymentId} ${started.started ? "started" : "already exists"}: ${started.status} (workflow ${started.workflow_id})`);
      });
    });

  payments
    .command("show")
    .description("a payment's parameters, status and reason")
    .argument("<payment_id>", "payment id")
    .option("--json", "machine-readable output")
    .action(async (paymentId: string, opts: { json?: boolean }) => {
      requirePaymentId(paymentId);
      await withTemporal(async (client) => {
        const state = await queryPayment(client, paymentId);
        return opts.json ? sayJson(state) : say(line(state));
      });
    });

  payments
    .command("list")
    .description("payments and their status, newest first (from Temporal visibility; a payment id started again shows as its latest run)")
    .option("--status <status>", `only this status: ${STATUSES.join(", ")}`)
    .option("--limit <n>", "at most this many", "100")
    .option("--json", "machine-readable output")
    .action(async (opts: { status?: string; limit: string; json?: boolean }) => {
      if (opts.status !== undefined && !STATUSES.includes(opts.status as PaymentStatus)) throw new UsageError(`Status "${opts.status}" is unknown; use one of ${STATUSES.join(", ")}.`);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit "${opts.limit}" is not a positive whole number.`);
      const query = `WorkflowType = 'payment'${opts.status ? ` AND TidemarkPaymentStatus = '${opts.status}'` : ""}`;
      await withTemporal(async (client) => {
        const rows: Array<Record<string, unknown>> = [];
        for await (const info of client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
          if (info.status.name !== "RUNNING" && (await client.workflow.getHandle(info.workflowId).describe()).runId !== info.runId) continue;
          const memo = (info.memo ?? {}) as Record<string, unknown>;
          const status = memo.status ?? (info.searchAttributes?.TidemarkPaymentStatus as string[] | undefined)?.[0] ?? "pending";
          const paymentId = memo.payment_id ?? info.workflowId.replace(/^tidemark\/payment\//, "");
          rows.push({ payment_id: paymentId, wallet: memo.wallet, amount: memo.amount, currency: memo.currency, status, started_at: info.startTime.toISOString() });
          if (rows.length >= limit) break;
        }
        if (opts.json) return sayJson(rows);
        for (const r of rows) say(`${r.payment_id}\t${r.status}\t${r.amount} ${r.currency}\twallet ${r.wallet}\t${r.started_at}`);
      });
    });

  payments
    .command("resolve")
    .description("settle a payment in requires_review: --charged completes it, --not-charged refunds the wallet")
    .argument("<payment_id>", "payment id")
    .option("--charged", "the gateway did charge it")
    .option("--not-charged", "the gateway did not charge it")
    .option("--json", "machine-readable output")
    .action(async (paymentId: string, opts: { charged?: boolean; notCharged?: boolean; json?: boolean }) => {
      requirePaymentId(paymentId);
      if (Boolean(opts.charged) === Boolean(opts.notCharged)) throw new UsageError("Say exactly one of --charged or --not-charged.");
      await withTemporal(async (client) => {
        await describePayment(client, paymentId);
        let state: PaymentState;
        try {
          state = await client.workflow.getHandle(paymentWorkflowId(paymentId)).executeUpdate<PaymentState, [{ charged: boolean }]>("resolve", { args: [{ charged: Boolean(opts.charged) }] });
        } catch (err) {
          if (err instanceof WorkflowUpdateFailedError) throw new PaymentInputError(rootFailure(err).message);
          if (/workflow execution already completed/i.test((err as Error).message)) {
            throw new PaymentInputError(`Payment ${paymentId} has already finished; there is nothing to resolve.`);
          }
          throw err;
        }
        return opts.json ? sayJson(state) : say(line(state));
      });
    });

  registerPaymentsWatch(payments);
}
