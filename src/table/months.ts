import { type Table, Type } from "apache-arrow";

/** yyyymm of a day count since 1970-01-01 (proleptic Gregorian, civil-from-days). */
export function monthOfDay(days: number): number {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return year * 100 + month;
}

const MICROS_PER_DAY = 86_400_000_000n;

/** Partition month (yyyymm) of every row, from a Date32 or Timestamp(µs) column. */
export function monthsOf(table: Table, column: string): Int32Array {
  const vector = table.getChild(column);
  if (!vector) throw new Error(`partition column ${column} is missing from the table`);
  const out = new Int32Array(table.numRows);
  let row = 0;
  for (const data of vector.data) {
    if (data.typeId === Type.Date) {
      const days = data.values as Int32Array;
      for (let i = 0; i < data.length; i++) out[row++] = monthOfDay(days[i]);
    } else if (data.typeId === Type.Timestamp) {
      const micros = data.values as BigInt64Array;
      for (let i = 0; i < data.length; i++) {
        const m = micros[i];
        const day = m >= 0n ? m / MICROS_PER_DAY : -((-m + MICROS_PER_DAY - 1n) / MICROS_PER_DAY);
        out[row++] = monthOfDay(Number(day));
      }
    } else {
      throw new Error(`partition column ${column} must be a date or timestamp, not ${vector.type}`);
    }
  }
  return out;
}
