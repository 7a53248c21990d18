import { CancellationScope, log } from "@temporalio/workflow";

/** A named compensation: the opposite of a step, registered before the step runs. */
interface Compensation {
  name: string;
  run: () => Promise<unknown>;
}

/** Compensations registered newest-last and run newest-first in a non-cancellable scope. */
export class Saga {
  private readonly steps: Compensation[] = [];

  /** @param leftover What becomes of what a failed compensation did not undo, for its log line (default: gc removes it). */
  constructor(private readonly leftover = "gc will remove what it left") {}

  /** Registers the opposite of a step before the step is called (a timed-out call may still have written). */
  add(name: string, run: () => Promise<unknown>): void {
    this.steps.push({ name, run });
  }

  /** Forgets every compensation: after the commit point there is no going back. */
  clear(): void {
    this.steps.length = 0;
  }

  /** Drops, without running them, the compensations after the oldest `keep`: their steps reported writing nothing. */
  drop(keep: number): void {
    this.steps.length = Math.min(this.steps.length, keep);
  }

  /** How many compensations are registered. */
  get size(): number {
    return this.steps.length;
  }

  /**
   * Runs compensations newest-first, even if the workflow is being cancelled, keeping going past
   * failures; with `keep`, the oldest `keep` compensations stay registered (undo back to a checkpoint).
   */
  async compensate(keep = 0): Promise<string[]> {
    const ran: string[] = [];
    await CancellationScope.nonCancellable(async () => {
      while (this.steps.length > keep) {
        const step = this.steps.pop()!;
        try {
          await step.run();
          ran.push(step.name);
        } catch (err) {
          log.error(`compensation failed; ${this.leftover}`, { compensation: step.name, error: String(err) });
        }
      }
    });
    return ran;
  }
}
