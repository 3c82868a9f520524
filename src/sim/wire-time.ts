/** Bits on the wire per byte on a Dynamixel bus: start bit, 8 data bits, stop bit. */
export const BITS_PER_BYTE = 10;

/** Time `byteCount` bytes take on a bus at `baudRate` bit/s, in nanoseconds. */
export function wireTimeNs(byteCount: number, baudRate: number): bigint {
  return BigInt(Math.ceil((byteCount * BITS_PER_BYTE * 1e9) / baudRate));
}

/** Time `byteCount` bytes take on a bus at `baudRate` bit/s, in microseconds. */
export function wireTimeUs(byteCount: number, baudRate: number): number {
  return (byteCount * BITS_PER_BYTE * 1e6) / baudRate;
}
