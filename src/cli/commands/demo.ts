import type { Command } from "commander";

/** `tidemark demo [--keep]`: the self-contained walkthrough on an embedded stack; `tidemark demo payments [--keep]`: the payments one. */
export function registerDemo(program: Command): void {
  const demo = program
    .command("demo")
    .description("run the walkthrough: embedded Temporal + worker, a monthly rates release ingested as v1, then a revised v2 (data under .tidemark/demo, reset each run); \"demo payments\" runs the payments walkthrough")
    .option("--keep", "keep the stack running after the demo until Ctrl-C, to browse the Temporal UI")
    .action(async (opts: { keep?: boolean }) => {
      const { runDemo } = await import("../../demo/run.js");
      await runDemo({ keep: opts.keep });
    });
  demo
    .command("payments")
    .description("run payments through the gateway simulator on an embedded stack: completed, declined, a gateway failure refunded, an in-doubt charge verified; prints balances and Temporal UI links (data under .tidemark/demo-payments, reset each run)")
    .option("--keep", "keep the stack running after the demo until Ctrl-C, to browse the Temporal UI")
    .action(async (_opts: unknown, cmd: Command) => {
      const { runPaymentsDemo } = await import("../../demo/payments.js");
      await runPaymentsDemo({ keep: Boolean(cmd.optsWithGlobals<{ keep?: boolean }>().keep) });
    });
}
