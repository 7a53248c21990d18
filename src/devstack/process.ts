import { spawn, type ChildProcess } from "node:child_process";

/** A child process whose last output lines are kept for error messages. */
export interface ManagedProcess {
  child: ChildProcess;
  /** Why the process ended early, if it did. */
  exited(): string | undefined;
  /** Last lines the process printed. */
  tail(): string;
  /** Stops the process (SIGTERM, then SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns `command`, keeping a rolling tail of its output; `inherit` echoes it to our stderr.
 * `detached` puts it in its own process group, so a Ctrl-C in the terminal reaches only us and we
 * stop it in order; it is still killed when this process exits.
 */
export function startProcess(
  command: string,
  args: string[],
  { env, inherit = false, name, detached = false }: { env?: NodeJS.ProcessEnv; inherit?: boolean; name: string; detached?: boolean },
): ManagedProcess {
  const child = spawn(command, args, { env: env ?? process.env, stdio: ["ignore", "pipe", "pipe"], detached });
  if (detached) {
    const killOnExit = () => child.kill("SIGKILL");
    process.once("exit", killOnExit);
    child.once("exit", () => process.off("exit", killOnExit));
  }
  const lines: string[] = [];
  let exitReason: string | undefined;
  const collect = (chunk: Buffer) => {
    if (inherit) process.stderr.write(chunk);
    for (const line of chunk.toString().split("\n")) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > 40) lines.shift();
    }
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  child.on("error", (err) => {
    exitReason = `${name} could not start: ${err.message}`;
  });
  child.on("exit", (code, signal) => {
    exitReason ??= `${name} exited (${signal ?? `code ${code}`}); its last output:\n${lines.join("\n")}`;
  });
  return {
    child,
    exited: () => exitReason,
    tail: () => lines.join("\n"),
    stop: (graceMs = 5000) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}
