import type { Command } from "commander";
import { startGatewaySimulator } from "../../gateway/simulator";
import { parsePortOrZero } from "../options";
import { say, sayJson } from "../output";
import { waitForSignal } from "../signals";

/** `tidemark gateway-sim [--port]`: the Stripe-like gateway simulator on 127.0.0.1 until SIGINT/SIGTERM. */
export function registerGatewaySim(program: Command): void {
  program
    .command("gateway-sim")
    .description("run the Stripe-like payment gateway simulator on 127.0.0.1 (faults at POST /admin/faults, charges at GET /v1/charges)")
    .option("--port <port>", "port to listen on (0 = any free one)", parsePortOrZero, 12111)
    .option("--json", "print the address as JSON")
    .action(async (opts: { port: number; json?: boolean }) => {
      const signals = waitForSignal();
      const sim = await startGatewaySimulator({ port: opts.port });
      try {
        if (opts.json) sayJson({ url: sim.url, port: sim.port });
        else say(`gateway simulator listening on ${sim.url} (set TIDEMARK_GATEWAY_URL=${sim.url} on workers)`);
        await signals.received;
      } finally {
        signals.dispose();
        await sim.close();
        if (!opts.json) say("gateway simulator stopped.");
      }
    });
}
