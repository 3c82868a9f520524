import { createLogger } from '../common/log.js';
import { UserError } from '../common/errors.js';
import { vectorNames } from '../rig/joint-layout.js';
import { rigConfigSchema } from '../rig/rig-config.js';
import type { EpisodeStore } from '../store/episode-store.js';
import type { EpisodeSummary, FrameRecord, InferenceRecord, StepRecord } from '../store/episode-types.js';
import { latestAtOrBefore, medianRateHz, uniformGrid, uniformGridLength } from './time-grid.js';

const log = createLogger('export');

export interface CameraStream {
  name: string;
  width: number;
  height: number;
  /** Frames in index order. */
  frames: FrameRecord[];
  /** Rate the camera was configured or measured at, in Hz; null with a single frame. */
  nominalFps: number | null;
}

/** One episode as read from the store, before resampling. */
export interface SourceEpisode {
  summary: EpisodeSummary;
  /** Names of the state and action entries, from the rig stored with the episode. */
  vectorNames: string[];
  /** Rig name, written as LeRobot's robot_type; null when the stored rig is not a rig configuration. */
  robotType: string | null;
  steps: StepRecord[];
  /** Cameras sorted by name. */
  cameras: CameraStream[];
  inferences: InferenceRecord[];
}

/** An episode resampled onto its output rows. */
export interface AlignedEpisode {
  source: SourceEpisode;
  length: number;
  /** For each output row, the index of the step it takes its joint values from. */
  stepRows: Int32Array;
  /** For each camera name and output row, the index of the frame it shows. */
  frameRows: Map<string, Int32Array>;
  /** Seconds of recording covered by the rows (rows / rate). */
  seconds: number;
}

function namesFromRig(summary: EpisodeSummary, rig: unknown, width: number): { names: string[]; robotType: string | null } {
  const parsed = rigConfigSchema.safeParse(rig);
  if (parsed.success) {
    const names = vectorNames(parsed.data);
    if (names.length === width) return { names, robotType: parsed.data.name };
    log.warn(`episode ${summary.id}: rig names ${names.length} values but steps hold ${width}: naming them value_0..value_${width - 1}`);
    return { names: genericNames(width), robotType: parsed.data.name };
  }
  log.warn(`episode ${summary.id}: stored rig is not a valid rig configuration: naming the state and action values value_0..value_${width - 1}`);
  return { names: genericNames(width), robotType: null };
}

function genericNames(width: number): string[] {
  return Array.from({ length: width }, (_, i) => `value_${i}`);
}

function configuredCameraFps(rig: unknown, camera: string): number | null {
  const parsed = rigConfigSchema.safeParse(rig);
  if (!parsed.success) return null;
  return parsed.data.cameras.find((config) => config.name === camera)?.fps ?? null;
}

function cameraStreams(episodeId: number, frames: FrameRecord[], statsFps: Record<string, number>, rig: unknown): CameraStream[] {
  const byCamera = new Map<string, FrameRecord[]>();
  for (const frame of frames) {
    let list = byCamera.get(frame.camera);
    if (!list) byCamera.set(frame.camera, (list = []));
    list.push(frame);
  }

  const streams: CameraStream[] = [];
  for (const name of [...byCamera.keys()].sort()) {
    const cameraFrames = byCamera.get(name)!;
    const { width, height } = cameraFrames[0]!;
    const odd = cameraFrames.find((frame) => frame.width !== width || frame.height !== height);
    if (odd) {
      throw new UserError(`episode ${episodeId}: camera ${name} changes size from ${width}x${height} to ${odd.width}x${odd.height} at frame ${odd.index}: export the episode separately or re-record it`);
    }
    const nominalFps = statsFps[name] ?? configuredCameraFps(rig, name) ?? medianRateHz(cameraFrames.map((frame) => frame.tNs));
    streams.push({ name, width, height, frames: cameraFrames, nominalFps });
  }
  return streams;
}

/** Reads an episode's steps, frames and (for telemetry) inferences from the store. */
export function readSourceEpisode(store: EpisodeStore, summary: EpisodeSummary, options: { withInferences: boolean }): SourceEpisode {
  const episode = store.getEpisode(summary.id);
  if (!episode) throw new UserError(`episode ${summary.id} was deleted from ${store.path} during the export: run the export again`);
  const steps = store.readSteps(summary.id);
  if (steps.length === 0) throw new UserError(`episode ${summary.id} has no steps: exclude it with --ids`);

  const width = steps[0]!.observationState.length;
  const { names, robotType } = namesFromRig(summary, episode.rig, width);
  const statsFps = Object.fromEntries(Object.entries(store.readCameraStats(summary.id)).map(([camera, stats]) => [camera, stats.fps]));
  const cameras = cameraStreams(summary.id, store.readFrames(summary.id), statsFps, episode.rig);
  const inferences = options.withInferences ? store.readInferences(summary.id) : [];
  return { summary, vectorNames: names, robotType, steps, cameras, inferences };
}

function alignFrames(source: SourceEpisode, outputTimes: readonly bigint[]): Map<string, Int32Array> {
  const frameRows = new Map<string, Int32Array>();
  for (const camera of source.cameras) {
    frameRows.set(camera.name, latestAtOrBefore(camera.frames.map((frame) => frame.tNs), outputTimes));
  }
  return frameRows;
}

/**
 * How far past the last step the output grid reaches: half a control period. A grid time that
 * close to the last step has it as its nearest step, so the step belongs on the grid and only its
 * timing jitter made it early: at 50 fps a 500-step 50 Hz episode keeps all 500 steps even when
 * its last step came 1 ms before 9.98 s. A grid time further out lies after the recording ended:
 * at 30 fps the same episode ends at 9.967 s with 300 frames, as 10.0 s is 20 ms after its last step.
 */
function gridToleranceNs(controlHz: number): number {
  return controlHz > 0 ? 0.5e9 / controlHz : 0;
}

/** Resamples steps and frames onto a uniform grid at `fps` from the first to the last step. */
export function alignToFps(source: SourceEpisode, fps: number): AlignedEpisode {
  const stepTimes = source.steps.map((step) => step.tNs);
  const grid = uniformGrid(stepTimes[0]!, stepTimes[stepTimes.length - 1]!, fps, gridToleranceNs(source.summary.fps));
  return {
    source,
    length: grid.length,
    stepRows: latestAtOrBefore(stepTimes, grid),
    frameRows: alignFrames(source, grid),
    seconds: grid.length / fps,
  };
}

/** Rows alignToFps() makes of an episode whose steps all came on time: the estimate before it is read. */
export function estimatedRowsAtFps(summary: EpisodeSummary, fps: number): number {
  const spanNs = summary.fps > 0 ? (Math.max(0, summary.stepCount - 1) * 1e9) / summary.fps : 0;
  return uniformGridLength(spanNs, fps, gridToleranceNs(summary.fps));
}

/** Keeps every step as a row and gives each step the latest frame of every camera. */
export function alignToSteps(source: SourceEpisode): AlignedEpisode {
  const stepTimes = source.steps.map((step) => step.tNs);
  return {
    source,
    length: stepTimes.length,
    stepRows: Int32Array.from(stepTimes, (_, i) => i),
    frameRows: alignFrames(source, stepTimes),
    seconds: stepTimes.length / source.summary.fps,
  };
}

/** Copies one per-step vector of every row into a row-major (rows x width) array; missing vectors become NaN. */
export function gatherVectors(aligned: AlignedEpisode, width: number, pick: (step: StepRecord) => Float32Array | null): Float32Array {
  const out = new Float32Array(aligned.length * width);
  for (let row = 0; row < aligned.length; row++) {
    const vector = pick(aligned.source.steps[aligned.stepRows[row]!]!);
    if (vector) out.set(vector.subarray(0, width), row * width);
    else out.fill(Number.NaN, row * width, (row + 1) * width);
  }
  return out;
}

/** The frames shown on every row of one camera. */
export function framesForRows(aligned: AlignedEpisode, camera: CameraStream): FrameRecord[] {
  const rows = aligned.frameRows.get(camera.name)!;
  return Array.from(rows, (frameIndex) => camera.frames[frameIndex]!);
}
