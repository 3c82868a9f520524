import { wireTimeUs } from '../bus/timing.js';

/** Time `byteCount` bytes take on a bus at `baudRate` bit/s (10 bits per byte), in whole nanoseconds rounded up. */
export function wireTimeNs(byteCount: number, baudRate: number): bigint {
  return BigInt(Math.ceil(wireTimeUs(byteCount, baudRate) * 1000));
}
