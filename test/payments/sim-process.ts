import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { SimulatorFaults, } from "../../src/gateway/faults";
import type { GatewayCharge } from "../../src/ledger/invariants";
import { startProcess, type ManagedProcess } from "../../src/devstack/process";
import { freePort } from "../../src/devstack/ports";

const BIN = join(__dirname, "..", "..", "bin", "tidemark.js");

/** `tidemark gateway-sim` as a real process (compiled dist/), so it can be SIGKILLed and started again on its port. */
export class SimulatorProcess {
  port = 0;
  proc?: ManagedProcess;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the simulator (on a free port the first time, the same port after) and waits until it answers. */
  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    this.proc = startProcess(process.execPath, [BIN, "gateway-sim", "--port", String(this.port)], { name: "gateway simulator" });
    for (let i = 0; ; i++) {
      try {
        const res = await fetch(`${this.url}/admin/faults`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return;
      } catch {
        if (i >= 100 || this.proc.exited()) throw new Error(`the gateway simulator did not start on ${this.url}: ${this.proc.exited() ?? ""} ${this.proc.tail()}`);
      }
      await sleep(200);
    }
  }

  /** Changes its faults through `POST /admin/faults`. */
  async setFaults(update: Partial<SimulatorFaults> & { outage_ms?: number }): Promise<void> {
    const res = await fetch(`${this.url}/admin/faults`, { method: "POST", body: JSON.stringify(update), signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`the simulator refused the faults: ${await res.text()}`);
  }

  /** Every charge it holds (`GET /v1/charges`). */
  async charges(): Promise<GatewayCharge[]> {
    const res = await fetch(`${this.url}/v1/charges`, { signal: AbortSignal.timeout(5000) });
    return (await res.json()) as GatewayCharge[];
  }

  /** SIGKILLs it and waits for the process to end; returns its pid and how it ended. */
  async kill(): Promise<{ pid: number; signal: NodeJS.Signals | null }> {
    const child = this.proc!.child;
    const ended = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await ended;
    return { pid: child.pid!, signal: child.signalCode };
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
  }
}
