/**
 * Resampling of recorded streams onto an output timeline. Every stream is sampled by zero-order
 * hold: an output time takes the latest sample recorded at or before it, which is what the control
 * loop had seen at that moment. A time before a stream's first sample takes that first sample.
 */

/** Number of times in uniformGrid() over a span of `spanNs`. */
export function uniformGridLength(spanNs: number, fps: number, toleranceNs = 0): number {
  if (!(fps > 0)) throw new RangeError(`fps must be positive, got ${fps}`);
  let length = 0;
  while (Math.round((length * 1e9) / fps) <= spanNs + toleranceNs) length++;
  return length;
}

/**
 * Times (ns) of a uniform grid start + round(i * 1e9 / fps) from `startNs` up to `endNs` plus
 * `toleranceNs` inclusive. The tolerance keeps a grid time that the last sample misses only by
 * its timing jitter.
 */
export function uniformGrid(startNs: bigint, endNs: bigint, fps: number, toleranceNs = 0): bigint[] {
  const length = uniformGridLength(Number(endNs - startNs), fps, toleranceNs);
  return Array.from({ length }, (_, i) => startNs + BigInt(Math.round((i * 1e9) / fps)));
}

/**
 * For each output time, the index of the latest sample at or before it (0 when the time precedes
 * every sample). Both lists must be sorted ascending; runs in O(samples + times).
 */
export function latestAtOrBefore(sampleTimes: readonly bigint[], outputTimes: readonly bigint[]): Int32Array {
  if (sampleTimes.length === 0) throw new RangeError('cannot resample a stream without samples');
  const picks = new Int32Array(outputTimes.length);
  let sample = 0;
  for (let i = 0; i < outputTimes.length; i++) {
    const time = outputTimes[i]!;
    while (sample + 1 < sampleTimes.length && sampleTimes[sample + 1]! <= time) sample++;
    picks[i] = sample;
  }
  return picks;
}

/** Median interval of sorted times, as a rate in Hz; null with fewer than two times. */
export function medianRateHz(times: readonly bigint[]): number | null {
  if (times.length < 2) return null;
  const intervals: number[] = [];
  for (let i = 1; i < times.length; i++) intervals.push(Number(times[i]! - times[i - 1]!));
  intervals.sort((a, b) => a - b);
  const median = intervals[Math.floor(intervals.length / 2)]!;
  return median > 0 ? 1e9 / median : null;
}
