import type { Manifest } from '../src/policy/manifest.js';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

export function formatBytes(bytes: number): string {
  const magnitude = Math.abs(bytes);
  if (magnitude >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (magnitude >= 1e6) return `${(bytes / 1e6).toFixed(2)} MB`;
  if (magnitude >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

/** Memory traffic and arithmetic of one core iteration. */
export interface IterationCost {
  weightBytes: number;
  /** Weights plus the context key/value caches and the three scratchpads (s_prev, s_pre, s_next). */
  bytes: number;
  flops: number;
}

/**
 * Estimates one iteration's cost from the core graph's size. Its float32 weights are read once,
 * and each weight takes part in one multiply-add per query row (2 K FLOP). The attention products
 * add self-attention over K queries and cross-attention over L + 1 + Nc context tokens.
 * The graph file size stands in for the weight bytes, so the estimate is high by the few kB of
 * graph structure.
 */
export function iterationCost(m: Manifest, coreGraphBytes: number): IterationCost {
  const headDim = m.hiddenSize / m.heads;
  const contextKeys = m.latentTokens + 1 + m.contextTokens;
  const cacheBytes = m.coreLayers * 2 * m.heads * contextKeys * headDim * 4;
  const scratchpadBytes = 3 * m.chunkSize * m.hiddenSize * 4;

  const weightFlops = 2 * m.chunkSize * (coreGraphBytes / 4);
  const attentionFlops = m.coreLayers * (4 * m.chunkSize * m.chunkSize * m.hiddenSize + 4 * m.chunkSize * contextKeys * m.hiddenSize);
  return { weightBytes: coreGraphBytes, bytes: coreGraphBytes + cacheBytes + scratchpadBytes, flops: weightFlops + attentionFlops };
}
