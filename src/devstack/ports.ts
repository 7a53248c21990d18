import { createServer } from "node:net";

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
