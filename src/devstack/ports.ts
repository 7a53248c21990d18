import { createServer } from "node:net";
import type { ManagedProcess } from "./process";

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it resolves true or `timeoutMs` passes; `describe` names the wait in the error. */
export async function waitFor(
  check: () => Promise<boolean>,
  { timeoutMs, intervalMs = 200, describe, abort }: { timeoutMs: number; intervalMs?: number; describe: string; abort?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const aborted = abort?.();
    if (aborted) throw new Error(`${describe} failed: ${aborted}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${describe} did not become ready within ${Math.round(timeoutMs / 1000)} s.`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Whether `port` on 127.0.0.1 can be bound right now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A server could not start because a port it was given was taken (picked free, then bound by another process first). */
export class PortTakenError extends Error {}

/** How Go servers (the Temporal CLI, Toxiproxy) report a port another process holds. */
export const BIND_TAKEN = /bind: address already in use/;

/** Attempts in all at starting a server whose ports were taken between picking and binding. */
export const PORT_ATTEMPTS = 3;

/**
 * Runs `start` (which picks its ports afresh each time) until it succeeds, at most `attempts` times
 * while it fails with {@link PortTakenError}; any other failure, and the last one, is thrown.
 */
export async function startOnFreshPorts<T>(start: () => Promise<T>, attempts = PORT_ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= attempts || !(err instanceof PortTakenError)) throw err;
    }
  }
}

/**
 * Stops a server whose start failed and returns the error to throw: the failure followed by the
 * server's last output, as a {@link PortTakenError} when that output matches `taken` (and, when
 * `exits`, the server had exited on its own: one that keeps running on a taken port passes false).
 */
export async function failedStart(proc: ManagedProcess, err: unknown, taken: RegExp, exits: boolean): Promise<Error> {
  const exitedOnItsOwn = proc.exited() !== undefined;
  await proc.stop(1000);
  const tail = proc.tail();
  const message = `${(err as Error).message}\n${tail}`;
  return (exitedOnItsOwn || !exits) && taken.test(tail) ? new PortTakenError(message) : new Error(message);
}
