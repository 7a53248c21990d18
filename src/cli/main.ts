import { Command, CommanderError } from "commander";
import { redact } from "../observability/redact";
import { describeFailure, EXIT } from "./output";

type Register = (program: Command) => void;

/**
 * Every top-level command, in `--help` order, with a loader of the module that registers it: a run
 * of one command loads that command's module only, not the dependencies of all the others.
 */
const COMMANDS: [name: string, load: () => Promise<Register>][] = [
  ["dev", async () => (await import("./commands/dev.js")).registerDev],
  ["worker", async () => (await import("./commands/worker.js")).registerWorker],
  ["ingest", async () => (await import("./commands/ingest.js")).registerIngest],
  ["status", async () => (await import("./commands/status.js")).registerStatus],
  ["versions", async () => (await import("./commands/versions.js")).registerVersions],
  ["read", async () => (await import("./commands/read.js")).registerRead],
  ["files", async () => (await import("./commands/files.js")).registerFiles],
  ["cancel", async () => (await import("./commands/cancel.js")).registerCancel],
  ["verify", async () => (await import("./commands/verify.js")).registerVerify],
  ["gc", async () => (await import("./commands/gc.js")).registerGc],
  ["optimize", async () => (await import("./commands/optimize.js")).registerOptimize],
  ["schedule", async () => (await import("./commands/schedule.js")).registerSchedule],
  ["demo", async () => (await import("./commands/demo.js")).registerDemo],
  ["tools", async () => (await import("./commands/tools.js")).registerTools],
  ["wallets", async () => (await import("./commands/wallets.js")).registerWallets],
  ["payments", async () => (await import("./commands/payments.js")).registerPayments],
  ["ledger", async () => (await import("./commands/ledger.js")).registerLedger],
  ["gateway-sim", async () => (await import("./commands/gateway-sim.js")).registerGatewaySim],
  ["serve", async () => (await import("./commands/serve.js")).registerServe],
];

/** The names of the top-level commands, in `--help` order. */
export const COMMAND_NAMES: readonly string[] = COMMANDS.map(([name]) => name);

/**
 * Builds the `tidemark` command tree: every command, or with `only`, just the command of that name
 * (what a run of that command needs; `--help` and unknown commands need them all).
 */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command("tidemark")
    .description("Versioned datasets on S3 as Parquet; every change is a Temporal workflow.")
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) })
    .showHelpAfterError('(run "tidemark --help" for usage)');
  const picked = COMMANDS.filter(([name]) => only === undefined || name === only);
  const registers = await Promise.all(picked.map(([, load]) => load()));
  for (const register of registers) register(program);
  return program;
}

/** The top-level command `argv` runs, when it names one (`argv[2]`); else undefined. */
export function invokedCommand(argv: string[]): string | undefined {
  const first = argv[2];
  return first !== undefined && COMMAND_NAMES.includes(first) ? first : undefined;
}

/** Runs the CLI with `argv` and resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram(invokedCommand(argv));
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const { message, code } = describeFailure(err);
    process.stderr.write(`tidemark: ${redact(message)}\n`);
    return code;
  }
}
