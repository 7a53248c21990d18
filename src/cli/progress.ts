import type { IngestProgress } from "../contracts";

/** The steps of a run, in order: runs on the engine's steps, and runs recorded before them. */
const ENGINE_STEPS = ["prepare", "write", "publish", "notify"];
const SPLIT_STEPS = ["fetchSource", "normalize", "computeDelta", "writeEvents", "consolidate", "publish", "notify"];

/** One line of progress on stderr: rewritten in place on a TTY, printed on each step change otherwise. */
export class ProgressLine {
  private last = "";
  private readonly started = Date.now();
  constructor(private readonly tty: boolean) {}

  /** Shows the latest progress answer. */
  update(p: IngestProgress): void {
    const steps = ENGINE_STEPS.includes(p.step) || (p.step === "computeDelta" && p.attempt > 1) ? ENGINE_STEPS : SPLIT_STEPS;
    const index = steps.indexOf(p.step);
    const stepText = index >= 0 ? `[${index + 1}/${steps.length}] ${p.step}` : p.step;
    const rows = p.rows ? ` · ${p.rows.toLocaleString("en-US")} rows` : "";
    const attempt = p.attempt > 1 ? ` · attempt ${p.attempt}` : "";
    const text = `${p.dataset} ${p.version} ${stepText}${rows}${attempt}`;
    if (this.tty) {
      const secs = ((Date.now() - this.started) / 1000).toFixed(1);
      process.stderr.write(`\r\x1b[2K${text} · ${secs}s`);
    } else if (text !== this.last) {
      process.stderr.write(`${text}\n`);
    }
    this.last = text;
  }

  /** Ends the progress display. */
  clear(): void {
    if (this.tty && this.last) process.stderr.write("\r\x1b[2K");
  }
}
