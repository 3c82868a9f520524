/** Records stored in an episode database, as the store's API reads and writes them. */

export type EpisodeKind = 'teleop' | 'rollout';
export const EPISODE_KINDS: readonly EpisodeKind[] = ['teleop', 'rollout'];

export type EpisodeOutcome = 'unlabelled' | 'success' | 'failure';
export const EPISODE_OUTCOMES: readonly EpisodeOutcome[] = ['unlabelled', 'success', 'failure'];

/** Metadata of an episode, given when its recording starts. */
export interface EpisodeMeta {
  task: string;
  kind: EpisodeKind;
  /** Nominal control rate in steps per second. */
  fps: number;
  /** Rig configuration, stored as JSON. */
  rig: unknown;
  /** Calibration of every arm, stored as JSON. */
  calibration: unknown;
  /** Policy description (model, depth, horizon strategy) for rollouts, stored as JSON. */
  policy?: unknown;
  /** Wall-clock start, now by default. */
  startedAt?: Date;
  /** Monotonic start in nanoseconds (src/common/clock.ts), now by default. */
  startNs?: bigint;
}

export interface EpisodeSummary {
  id: number;
  task: string;
  kind: EpisodeKind;
  fps: number;
  startedAt: string;
  endedAt: string | null;
  outcome: EpisodeOutcome;
  /** True while recording and after a recording that did not finish cleanly. */
  incomplete: boolean;
  stepCount: number;
  /** end_ns - start_ns, or the last step's t_ns - start_ns while the episode is incomplete. */
  durationS: number;
}

export interface Episode extends EpisodeSummary {
  rig: unknown;
  calibration: unknown;
  policy: unknown;
  startNs: bigint;
  endNs: bigint | null;
}

export interface EpisodeFilter {
  task?: string;
  kind?: EpisodeKind;
  outcome?: EpisodeOutcome;
}

/** One control tick as the control loop hands it over. The recorder assigns its index. */
export interface StepSample {
  /** Monotonic time of the tick in nanoseconds. */
  tNs: bigint;
  /** observation.state: follower joint positions. */
  observationState: Float32Array;
  /** action: the follower targets sent on this tick. */
  action: Float32Array;
  followerVelocity?: Float32Array | null;
  followerCurrent?: Float32Array | null;
  /** Time since the previous tick started. */
  periodMs: number;
  /** How late this tick started against its schedule. */
  latenessMs: number;
  /** Time spent on the servo buses in this tick. */
  busMs: number;
}

export interface StepRecord extends StepSample {
  index: number;
  followerVelocity: Float32Array | null;
  followerCurrent: Float32Array | null;
}

export interface FrameSample {
  camera: string;
  tNs: bigint;
  jpeg: Uint8Array;
  width: number;
  height: number;
}

/** A camera frame, with `index` counting the frames of one camera in one episode. */
export interface FrameRecord extends FrameSample {
  index: number;
}

/** One policy call of a rollout. */
export interface InferenceSample {
  tNs: bigint;
  /** Index of the step from which the predicted chunk was applied. */
  stepIndex: number;
  /** Recurrent iterations until the predicted actions converged. */
  kStar: number;
  /** Number of predicted actions executed (execution horizon). */
  horizon: number;
  /** Per-iteration convergence values, e.g. the mean squared change of the predicted actions. */
  trace: number[];
  /** Milliseconds per stage, e.g. { vision: 40, backbone: 20, head: 15 }. */
  timings: Record<string, number>;
  /** Control ticks the loop waited for this inference. */
  waitedTicks: number;
}

export interface InferenceRecord extends InferenceSample {
  index: number;
}

export interface CameraStats {
  fps: number;
  width: number;
  height: number;
  frames: number;
  dropped: number;
  late: number;
}

export interface EpisodeStats {
  /** Mean of the steps' period_ms, or null without steps. */
  meanPeriodMs: number | null;
  /** 99th percentile (nearest rank) of the steps' lateness_ms, or null without steps. */
  p99LatenessMs: number | null;
  durationS: number;
}
