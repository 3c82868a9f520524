import type {
  Episode,
  EpisodeKind,
  EpisodeOutcome,
  EpisodeSummary,
  FrameRecord,
  InferenceRecord,
  StepRecord,
} from './episode-types.js';

// Vectors are stored as the bytes of a Float32Array, which is little-endian on every platform
// Node.js ships prebuilt binaries for (x86-64, ARM64).
// NOTE: a big-endian host would write and read byte-swapped blobs, and nothing checks for one.

/** Returns a Buffer view over the vector's bytes (no copy), for binding as a BLOB. */
export function float32Blob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** Copies a BLOB into a new Float32Array. The copy also aligns the values, which a Buffer slice may not. */
export function float32FromBlob(blob: Buffer): Float32Array {
  const bytes = new Uint8Array(blob.byteLength);
  bytes.set(blob);
  return new Float32Array(bytes.buffer);
}

/**
 * Columns of `episodes` without the JSON ones, plus last_t_ns (the newest step's t_ns).
 * Integers are read with safeIntegers, so they arrive as bigint.
 */
export interface SummaryRow {
  id: bigint;
  task: string;
  kind: string;
  fps: number;
  started_at: string;
  start_ns: bigint;
  ended_at: string | null;
  end_ns: bigint | null;
  outcome: string;
  incomplete: bigint;
  step_count: bigint;
  last_t_ns: bigint | null;
}

export interface EpisodeRow extends SummaryRow {
  rig: string;
  calibration: string;
  policy: string | null;
}

export function durationSeconds(row: SummaryRow): number {
  const endNs = row.end_ns ?? row.last_t_ns ?? row.start_ns;
  return Number(endNs - row.start_ns) / 1e9;
}

export function summaryFromRow(row: SummaryRow): EpisodeSummary {
  return {
    id: Number(row.id),
    task: row.task,
    kind: row.kind as EpisodeKind,
    fps: row.fps,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    outcome: row.outcome as EpisodeOutcome,
    incomplete: row.incomplete !== 0n,
    stepCount: Number(row.step_count),
    durationS: durationSeconds(row),
  };
}

export function episodeFromRow(row: EpisodeRow): Episode {
  return {
    ...summaryFromRow(row),
    rig: JSON.parse(row.rig),
    calibration: JSON.parse(row.calibration),
    policy: row.policy === null ? null : JSON.parse(row.policy),
    startNs: row.start_ns,
    endNs: row.end_ns,
  };
}

export interface StepRow {
  step_index: bigint;
  t_ns: bigint;
  observation_state: Buffer;
  action: Buffer;
  follower_velocity: Buffer | null;
  follower_current: Buffer | null;
  period_ms: number;
  lateness_ms: number;
  bus_ms: number;
}

export function stepFromRow(row: StepRow): StepRecord {
  return {
    index: Number(row.step_index),
    tNs: row.t_ns,
    observationState: float32FromBlob(row.observation_state),
    action: float32FromBlob(row.action),
    followerVelocity: row.follower_velocity === null ? null : float32FromBlob(row.follower_velocity),
    followerCurrent: row.follower_current === null ? null : float32FromBlob(row.follower_current),
    periodMs: row.period_ms,
    latenessMs: row.lateness_ms,
    busMs: row.bus_ms,
  };
}

export interface FrameRow {
  camera: string;
  frame_index: bigint;
  t_ns: bigint;
  jpeg: Buffer;
  width: bigint;
  height: bigint;
}

export function frameFromRow(row: FrameRow): FrameRecord {
  return {
    camera: row.camera,
    index: Number(row.frame_index),
    tNs: row.t_ns,
    jpeg: row.jpeg,
    width: Number(row.width),
    height: Number(row.height),
  };
}

export interface InferenceRow {
  inference_index: bigint;
  t_ns: bigint;
  step_index: bigint;
  k_star: bigint;
  horizon: bigint;
  trace: string;
  timings: string;
  waited_ticks: bigint;
}

export function inferenceFromRow(row: InferenceRow): InferenceRecord {
  return {
    index: Number(row.inference_index),
    tNs: row.t_ns,
    stepIndex: Number(row.step_index),
    kStar: Number(row.k_star),
    horizon: Number(row.horizon),
    trace: JSON.parse(row.trace) as number[],
    timings: JSON.parse(row.timings) as Record<string, number>,
    waitedTicks: Number(row.waited_ticks),
  };
}
