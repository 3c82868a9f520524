/** Monotonic clock shared by joint steps, camera frames and inference records. */
export function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
