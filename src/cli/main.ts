import { Command, CommanderError } from "commander";
import { registerCancel } from "./commands/cancel";
import { registerDemo } from "./commands/demo";
import { registerDev } from "./commands/dev";
import { registerFiles } from "./commands/files";
import { registerGatewaySim } from "./commands/gateway-sim";
import { registerGc } from "./commands/gc";
import { registerIngest } from "./commands/ingest";
import { registerLedger } from "./commands/ledger";
import { registerOptimize } from "./commands/optimize";
import { registerPayments } from "./commands/payments";
import { registerRead } from "./commands/read";
import { registerSchedule } from "./commands/schedule";
import { registerServe } from "./commands/serve";
import { registerStatus } from "./commands/status";
import { registerTools } from "./commands/tools";
import { registerVerify } from "./commands/verify";
import { registerVersions } from "./commands/versions";
import { registerWallets } from "./commands/wallets";
import { registerWorker } from "./commands/worker";
import { redact } from "../observability/redact";
import { describeFailure, EXIT } from "./output";

/** Builds the `tidemark` command tree. */
export function buildProgram(): Command {
  const program = new Command("tidemark")
    .description("Versioned datasets on S3 as Parquet; every change is a Temporal workflow.")
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) })
    .showHelpAfterError('(run "tidemark --help" for usage)');
  registerDev(program);
  registerWorker(program);
  registerIngest(program);
  registerStatus(program);
  registerVersions(program);
  registerRead(program);
  registerFiles(program);
  registerCancel(program);
  registerVerify(program);
  registerGc(program);
  registerOptimize(program);
  registerSchedule(program);
  registerDemo(program);
  registerTools(program);
  registerWallets(program);
  registerPayments(program);
  registerLedger(program);
  registerGatewaySim(program);
  registerServe(program);
  return program;
}

/** Runs the CLI with `argv` and resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
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
