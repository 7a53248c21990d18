import { PaymentInputError } from "./errors.js";

/** The refusal of `value` as `what`: "<what> is missing" when absent, else "<what> <value> is invalid", then `fix`. */
function invalid(what: string, value: unknown, fix: string): PaymentInputError {
  const shown = typeof value === "number" && !Number.isFinite(value) ? String(value) : JSON.stringify(value);
  return new PaymentInputError(`${what} ${value === undefined ? "is missing" : `${shown} is invalid`}: ${fix}`);
}

/** Ledger and wallet ids: lowercase letters, digits, "_", "." and "-", up to 64 characters. */
export const LEDGER_ID_RE = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
/** Payment and credit operation ids: letters, digits, "_", "." and "-", up to 64 characters. */
export const PAYMENT_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** ISO 4217 style currency code, upper case. */
export const CURRENCY_RE = /^[A-Z]{3}$/;
/** Largest amount of one operation, in minor units (keeps every sum an exact integer). */
export const MAX_AMOUNT = 1_000_000_000_000;

/** Checks a ledger id; returns it. */
export function requireLedgerId(value: unknown): string {
  if (typeof value === "string" && LEDGER_ID_RE.test(value)) return value;
  throw invalid("Ledger id", value, `use lowercase letters, digits, "_", "." or "-" (at most 64).`);
}

/** Checks a wallet id; returns it. */
export function requireWalletId(value: unknown): string {
  if (typeof value === "string" && LEDGER_ID_RE.test(value)) return value;
  throw invalid("Wallet id", value, `use lowercase letters, digits, "_", "." or "-" (at most 64), e.g. "alice".`);
}

/** Checks a payment id (also the gateway idempotency key); returns it. */
export function requirePaymentId(value: unknown): string {
  if (typeof value === "string" && PAYMENT_ID_RE.test(value)) return value;
  throw invalid("Payment id", value, `use letters, digits, "_", "." or "-" (at most 64), e.g. "pay-0001".`);
}

/** Checks a credit operation id; returns it. */
export function requireOpId(value: unknown): string {
  if (typeof value === "string" && PAYMENT_ID_RE.test(value)) return value;
  throw invalid("Operation id", value, `use letters, digits, "_", "." or "-" (at most 64).`);
}

/** Checks a currency code (three letters; lower case is upper-cased); returns it upper case. */
export function requireCurrency(value: unknown): string {
  const upper = typeof value === "string" ? value.toUpperCase() : value;
  if (typeof upper === "string" && CURRENCY_RE.test(upper)) return upper;
  throw invalid("Currency", value, `use a three-letter code such as EUR or USD.`);
}

/** Checks an amount in minor units: a positive integer up to {@link MAX_AMOUNT}; returns it. */
export function requireAmount(value: unknown): number {
  if (typeof value === "number" && Number.isSafeInteger(value) && value > 0 && value <= MAX_AMOUNT) return value;
  throw invalid("Amount", value, `use a positive whole number of minor units (cents) no larger than ${MAX_AMOUNT}.`);
}

/** Parses a command-line amount: digits only, positive, at most {@link MAX_AMOUNT}; the error quotes the text as typed. */
export function parseAmountText(text: string): number {
  const digits = text.trim();
  const value = /^\d{1,16}$/.test(digits) ? Number(digits) : Number.NaN;
  if (!(value > 0 && value <= MAX_AMOUNT)) {
    throw new PaymentInputError(`Amount "${text}" is invalid: use a positive whole number of minor units (cents) no larger than ${MAX_AMOUNT}, e.g. 1250 for 12.50.`);
  }
  return value;
}
