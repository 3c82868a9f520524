import type { CameraFrame } from './camera-frames.js';
import type { ExecutionProvider } from './execution-provider.js';

/**
 * How many recurrent iterations run. "fixed" runs `depth` iterations and executes the manifest's
 * fixed horizon. The adaptive modes stop when the decoded chunk changes by less than `delta`
 * (mean squared change, from the manifest's firstCheck iteration on, at most `maxIterations`):
 * "converge" then executes the fixed horizon, "binary" and "linear" derive it from k*.
 */
export type DepthMode =
  | { kind: 'fixed'; depth: number }
  | { kind: 'converge' | 'binary' | 'linear'; delta?: number; maxIterations?: number };

export type AdaptiveKind = 'converge' | 'binary' | 'linear';

export interface InferenceOptions {
  /** Default: fixed depth at the manifest's defaultDepth. */
  mode?: DepthMode;
  /** uint32 seed of the scratchpad initialisation; a random one when absent. */
  seed?: number;
}

/** One control step's observation. */
export interface InferenceRequest extends InferenceOptions {
  /** Frames by camera name; a camera without a frame gets a mid-grey image. */
  frames?: Record<string, CameraFrame>;
  task: string;
  /** Joint state in the rig's units, manifest.proprioSize values. */
  state: ArrayLike<number>;
}

/** Backbone features for running the head alone (benchmarks, or a backbone run elsewhere). */
export interface HeadFeatures {
  /** [1, Nc, Db] */
  midContext: Float32Array;
  /** [1, L, Db] */
  midLatent: Float32Array;
  /** [1, Nc, Db] */
  lastContext: Float32Array;
  /** [1, L, Db] */
  lastLatent: Float32Array;
}

/** Milliseconds per stage of one inference; core and coda are summed over iterations. */
export interface StageTimings {
  preprocess: number;
  backbone: number;
  prelude: number;
  core: number;
  coda: number;
  total: number;
}

export interface InferenceResult {
  /** De-normalised joint targets, chunkSize x actionSize, row-major. */
  actions: Float32Array;
  chunkSize: number;
  actionSize: number;
  /** Recurrent iterations run. */
  kStar: number;
  /** Actions of the chunk to execute before the next inference. */
  horizon: number;
  /** Mean squared change of the normalised chunk after iterations 2..k* (adaptive modes only). */
  trace: number[];
  timingsMs: StageTimings;
  seed: number;
  mode: DepthMode;
  /** Cameras that had no frame and got a mid-grey image. */
  greyCameras: string[];
}

/** Summary of a loaded policy for `rdvla policy info` and the UI. */
export interface PolicyInfo {
  name: string;
  dir: string;
  provider: ExecutionProvider;
  providerReason: string;
  intraOpThreads: number;
  /** False when the manifest marks the weights as random (untrained); null when it does not record it. */
  trained: boolean | null;
  cameras: string[];
  image: { height: number; width: number };
  jointNames: string[];
  sizes: {
    actionSize: number;
    proprioSize: number;
    chunkSize: number;
    hiddenSize: number;
    backboneHiddenSize: number;
    heads: number;
    coreLayers: number;
    latentTokens: number;
    contextTokens: number;
    maxTaskTokens: number;
  };
  inference: {
    defaultDepth: number;
    maxIterations: number;
    delta: number;
    firstCheck: number;
    fixedHorizon: number;
    binary: { threshold: number; short: number; long: number; direction: string };
    linear: { hMax: number; hMin: number; tauBase: number; fullChunkAtOrBelow?: number | null };
  };
  /** Graph files with their input and output signatures, e.g. "s_prev float32 [1,8,64]". */
  graphs: Record<string, { file: string; bytes: number; inputs: string[]; outputs: string[] }>;
  headOnly: boolean;
}
