import type { Command } from "commander";

/** `tidemark demo [--keep]`: the self-contained walkthrough on an embedded stack. */
export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("run the walkthrough: embedded Temporal + worker, a monthly rates release ingested as v1, then a revised v2 (data under .tidemark/demo, reset each run)")
    .option("--keep", "keep the stack running after the demo until Ctrl-C, to browse the Temporal UI")
    .action(async (opts: { keep?: boolean }) => {
      const { runDemo } = await import("../../demo/run.js");
      await runDemo({ keep: opts.keep });
    });
}
