import type { InferenceRecord } from '../store/episode-types.js';
import type { AlignedEpisode } from './source-episode.js';

/** Value of every telemetry column on rows executed before the first inference (and on teleop episodes). */
export const NO_INFERENCE = -1;

/** Rollout telemetry per output row, forward-filled from the inference whose chunk the row's step executed. */
export interface TelemetryColumns {
  kStar: BigInt64Array;
  horizon: BigInt64Array;
  /** Latency of that inference in milliseconds. */
  inferenceMs: Float32Array;
}

/** Total latency of an inference: its `total` timing when recorded, else the sum of its stage timings. */
export function inferenceLatencyMs(inference: InferenceRecord): number {
  const { total, ...stages } = inference.timings;
  if (typeof total === 'number') return total;
  return Object.values(stages).reduce((sum, value) => sum + value, 0);
}

/**
 * Builds the telemetry columns of an aligned episode. A row's step s executed the chunk of the
 * latest inference applied from a step at or before s; rows before any inference get NO_INFERENCE.
 */
export function telemetryColumns(aligned: AlignedEpisode): TelemetryColumns {
  const inferences = [...aligned.source.inferences].sort((a, b) => a.stepIndex - b.stepIndex || a.index - b.index);
  const columns: TelemetryColumns = {
    kStar: new BigInt64Array(aligned.length),
    horizon: new BigInt64Array(aligned.length),
    inferenceMs: new Float32Array(aligned.length),
  };

  for (let row = 0; row < aligned.length; row++) {
    const stepIndex = aligned.source.steps[aligned.stepRows[row]!]!.index;
    const inference = latestInferenceAt(inferences, stepIndex);
    columns.kStar[row] = BigInt(inference ? inference.kStar : NO_INFERENCE);
    columns.horizon[row] = BigInt(inference ? inference.horizon : NO_INFERENCE);
    columns.inferenceMs[row] = inference ? inferenceLatencyMs(inference) : NO_INFERENCE;
  }
  return columns;
}

/** Binary search for the last inference (sorted by stepIndex) applied at or before `stepIndex`. */
function latestInferenceAt(inferences: readonly InferenceRecord[], stepIndex: number): InferenceRecord | undefined {
  let low = 0;
  let high = inferences.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (inferences[middle]!.stepIndex <= stepIndex) low = middle + 1;
    else high = middle;
  }
  return low === 0 ? undefined : inferences[low - 1];
}
