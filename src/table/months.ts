import { type Table, Type } from "apache-arrow";
import { monthOfDays } from "../normalize/datetime";

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
      for (let i = 0; i < data.length; i++) out[row++] = monthOfDays(days[i]);
    } else if (data.typeId === Type.Timestamp) {
      const micros = data.values as BigInt64Array;
      for (let i = 0; i < data.length; i++) {
        const m = micros[i];
        const day = m >= 0n ? m / MICROS_PER_DAY : -((-m + MICROS_PER_DAY - 1n) / MICROS_PER_DAY);
        out[row++] = monthOfDays(Number(day));
      }
    } else {
      throw new Error(`partition column ${column} must be a date or timestamp, not ${vector.type}`);
    }
  }
  return out;
}
