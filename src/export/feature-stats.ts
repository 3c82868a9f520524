/**
 * Per-feature statistics as LeRobot v3.0 computes and stores them (lerobot/datasets/compute_stats.py):
 * min, max, mean, population std, count, and the quantiles q01..q99 read from a 5000-bin histogram
 * spanning [min - 1e-10, max + 1e-10] with linear interpolation inside the bin. Features with fewer
 * than two values report their mean as every quantile. Sums are taken in float64 here, where
 * LeRobot's numpy sums float32 data in float32, so means can differ in the last float32 digits.
 */

export const QUANTILE_KEYS = ['q01', 'q10', 'q50', 'q90', 'q99'] as const;
export type QuantileKey = (typeof QUANTILE_KEYS)[number];
const QUANTILES: Record<QuantileKey, number> = { q01: 0.01, q10: 0.1, q50: 0.5, q90: 0.9, q99: 0.99 };
const HISTOGRAM_BINS = 5000;
const EDGE_PADDING = 1e-10;

export interface FeatureStats {
  /** Shape of each statistic except count: [width] for vectors, [3, 1, 1] for images. */
  shape: number[];
  min: number[];
  max: number[];
  mean: number[];
  std: number[];
  /** Frames (vectors) or sampled images (video features) the statistics cover. */
  count: number;
  quantiles: Record<QuantileKey, number[]>;
}

/** A histogram over `bins` equal bins from `start` to start + bins * step. */
interface Histogram {
  counts: Float64Array;
  start: number;
  step: number;
}

function emptyHistogram(min: number, max: number): Histogram {
  const start = min - EDGE_PADDING;
  return { counts: new Float64Array(HISTOGRAM_BINS), start, step: (max + EDGE_PADDING - start) / HISTOGRAM_BINS };
}

function binOf(histogram: Histogram, value: number): number {
  const bin = Math.floor((value - histogram.start) / histogram.step);
  return Math.min(HISTOGRAM_BINS - 1, Math.max(0, bin));
}

/** The quantile as LeRobot's RunningQuantileStats._compute_single_quantile reads it from a histogram. */
function histogramQuantile(histogram: Histogram, total: number, q: number): number {
  const target = q * total;
  const edge = (index: number): number => histogram.start + index * histogram.step;
  let cumulative = 0;
  let index = 0;
  for (; index < HISTOGRAM_BINS; index++) {
    if (cumulative + histogram.counts[index]! >= target) break;
    cumulative += histogram.counts[index]!;
  }
  if (index === 0) return edge(0);
  if (index >= HISTOGRAM_BINS) return edge(HISTOGRAM_BINS);
  const inBin = histogram.counts[index]!;
  if (inBin === 0) return edge(index);
  return edge(index) + ((target - cumulative) / inBin) * histogram.step;
}

function emptyQuantiles(): Record<QuantileKey, number[]> {
  return { q01: [], q10: [], q50: [], q90: [], q99: [] };
}

/** Statistics of one dimension given its values' (value, weight) pairs through `forEach`. */
function dimensionStats(forEach: (visit: (value: number, weight: number) => void) => void): { min: number; max: number; mean: number; std: number; quantiles: Record<QuantileKey, number> } {
  let min = Infinity;
  let max = -Infinity;
  let total = 0;
  let sum = 0;
  forEach((value, weight) => {
    if (value < min) min = value;
    if (value > max) max = value;
    total += weight;
    sum += value * weight;
  });
  const mean = sum / total;

  let squares = 0;
  forEach((value, weight) => {
    squares += (value - mean) * (value - mean) * weight;
  });
  const std = Math.sqrt(squares / total);

  const quantiles = {} as Record<QuantileKey, number>;
  if (total < 2) {
    for (const key of QUANTILE_KEYS) quantiles[key] = mean;
  } else {
    const histogram = emptyHistogram(min, max);
    forEach((value, weight) => {
      histogram.counts[binOf(histogram, value)]! += weight;
    });
    for (const key of QUANTILE_KEYS) quantiles[key] = histogramQuantile(histogram, total, QUANTILES[key]);
  }
  return { min, max, mean, std, quantiles };
}

/** Statistics of each column of a row-major (rows x width) array. */
export function vectorStats(values: ArrayLike<number> | BigInt64Array, rows: number, width: number): FeatureStats {
  if (rows === 0) throw new RangeError('cannot compute statistics of an empty feature');
  const read = values instanceof BigInt64Array ? (i: number) => Number(values[i]!) : (i: number) => (values as ArrayLike<number>)[i]!;
  const stats: FeatureStats = { shape: [width], min: [], max: [], mean: [], std: [], count: rows, quantiles: emptyQuantiles() };

  for (let column = 0; column < width; column++) {
    const dimension = dimensionStats((visit) => {
      for (let row = 0; row < rows; row++) visit(read(row * width + column), 1);
    });
    appendDimension(stats, dimension, 1);
  }
  return stats;
}

/**
 * Statistics of video frames from per-channel counts of each 8-bit value over the sampled pixels,
 * scaled to 0..1 the way LeRobot divides image statistics by 255.
 */
export function imageStats(channelValueCounts: readonly Float64Array[], sampledImages: number): FeatureStats {
  const stats: FeatureStats = { shape: [channelValueCounts.length, 1, 1], min: [], max: [], mean: [], std: [], count: sampledImages, quantiles: emptyQuantiles() };
  for (const valueCounts of channelValueCounts) {
    const dimension = dimensionStats((visit) => {
      for (let value = 0; value < valueCounts.length; value++) {
        if (valueCounts[value]! > 0) visit(value, valueCounts[value]!);
      }
    });
    appendDimension(stats, dimension, 1 / 255);
  }
  return stats;
}

function appendDimension(stats: FeatureStats, dimension: ReturnType<typeof dimensionStats>, scale: number): void {
  stats.min.push(dimension.min * scale);
  stats.max.push(dimension.max * scale);
  stats.mean.push(dimension.mean * scale);
  stats.std.push(dimension.std * scale);
  for (const key of QUANTILE_KEYS) stats.quantiles[key].push(dimension.quantiles[key] * scale);
}

/**
 * Combines per-episode statistics the way LeRobot's aggregate_feature_stats does: count-weighted
 * mean, pooled variance, overall min and max, and count-weighted quantiles.
 */
export function aggregateStats(parts: readonly FeatureStats[]): FeatureStats {
  const first = parts[0];
  if (!first) throw new RangeError('cannot aggregate zero statistics');
  const total = parts.reduce((sum, part) => sum + part.count, 0);
  const size = first.mean.length;
  const result: FeatureStats = { shape: first.shape, min: [], max: [], mean: [], std: [], count: total, quantiles: emptyQuantiles() };

  for (let i = 0; i < size; i++) {
    const mean = parts.reduce((sum, part) => sum + part.mean[i]! * part.count, 0) / total;
    const variance = parts.reduce((sum, part) => sum + (part.std[i]! ** 2 + (part.mean[i]! - mean) ** 2) * part.count, 0) / total;
    result.min.push(Math.min(...parts.map((part) => part.min[i]!)));
    result.max.push(Math.max(...parts.map((part) => part.max[i]!)));
    result.mean.push(mean);
    result.std.push(Math.sqrt(variance));
    for (const key of QUANTILE_KEYS) {
      result.quantiles[key].push(parts.reduce((sum, part) => sum + part.quantiles[key][i]! * part.count, 0) / total);
    }
  }
  return result;
}

/** Reshapes a flat list to `shape` as nested arrays ([3, 1, 1] gives [[[r]], [[g]], [[b]]]). */
export function nest(values: readonly number[], shape: readonly number[]): unknown[] {
  if (shape.length <= 1) return [...values];
  const [outer, ...inner] = shape;
  const size = values.length / outer!;
  return Array.from({ length: outer! }, (_, i) => nest(values.slice(i * size, (i + 1) * size), inner));
}

/** The statistics as LeRobot writes them in stats.json: min, max, mean, std, count, then quantiles. */
export function statsToJson(stats: FeatureStats): Record<string, unknown> {
  const json: Record<string, unknown> = {
    min: nest(stats.min, stats.shape),
    max: nest(stats.max, stats.shape),
    mean: nest(stats.mean, stats.shape),
    std: nest(stats.std, stats.shape),
    count: [stats.count],
  };
  for (const key of QUANTILE_KEYS) json[key] = nest(stats.quantiles[key], stats.shape);
  return json;
}
