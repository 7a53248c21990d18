import { UsageError } from "./output";

/** The `--every` / `--cron` / `--timezone` of a schedule command, as the user gave them. */
export interface CronArgs {
  every?: string;
  cron?: string;
  timezone?: string;
}

/**
 * The usage error for a schedule spec the Temporal server rejected (the client raises it as a
 * TypeError carrying the server's reason), naming the flag at fault; any other error unchanged.
 */
export function scheduleSpecError(err: unknown, args: CronArgs): unknown {
  if (!(err instanceof TypeError)) return err;
  if (args.timezone !== undefined && /time ?zone/i.test(err.message)) {
    return new UsageError(`--timezone ${JSON.stringify(args.timezone)} is not a time zone Temporal knows (${err.message}); give an IANA name such as "Europe/Madrid" or "UTC".`);
  }
  if (args.every !== undefined) {
    return new UsageError(`--every ${JSON.stringify(args.every)} is not an interval Temporal accepts (${err.message}); give at least 1s, e.g. --every 1h.`);
  }
  if (args.cron !== undefined) {
    return new UsageError(`--cron ${JSON.stringify(args.cron)} is not a cron spec Temporal accepts (${err.message}); give five fields: minute hour day-of-month month day-of-week, e.g. "0 6 * * *".`);
  }
  return err;
}
