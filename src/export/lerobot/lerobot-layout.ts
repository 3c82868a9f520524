/**
 * LeRobotDataset v3.0 layout: paths, size limits and info.json, as written by LeRobot's
 * lerobot/datasets/utils.py (create_empty_dataset_info, DEFAULT_FEATURES, path templates).
 */
import type { DatasetLayout } from '../dataset-layout.js';

export const CODEBASE_VERSION = 'v3.0';
/** Maximum files per chunk folder. */
export const CHUNKS_SIZE = 1000;
/** A new data file starts once the current one would pass this many MB (uncompressed). */
export const DATA_FILES_SIZE_IN_MB = 100;
/** A new video file starts once the current one would pass this many MB. */
export const VIDEO_FILES_SIZE_IN_MB = 500;

export const DATA_PATH = 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet';
export const VIDEO_PATH = 'videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4';
export const EPISODES_PATH = 'meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet';
export const TASKS_PATH = 'meta/tasks.parquet';
export const INFO_PATH = 'meta/info.json';
export const STATS_PATH = 'meta/stats.json';

export const TELEMETRY_FEATURES = {
  kStar: 'rollout.k_star',
  horizon: 'rollout.horizon',
  inferenceMs: 'rollout.inference_ms',
} as const;

/** Chunk and file number of a data, video or metadata file. */
export interface FileSlot {
  chunk: number;
  file: number;
}

/** The slot after `slot`: the next file, or the first file of the next chunk after CHUNKS_SIZE files. */
export function nextSlot(slot: FileSlot): FileSlot {
  return slot.file === CHUNKS_SIZE - 1 ? { chunk: slot.chunk + 1, file: 0 } : { chunk: slot.chunk, file: slot.file + 1 };
}

/** Fills a LeRobot path template such as DATA_PATH. */
export function formatPath(template: string, slot: FileSlot, videoKey = ''): string {
  const pad = (value: number): string => String(value).padStart(3, '0');
  return template
    .replace('{video_key}', videoKey)
    .replace('{chunk_index:03d}', pad(slot.chunk))
    .replace('{file_index:03d}', pad(slot.file));
}

export function videoKey(camera: string): string {
  return `observation.images.${camera}`;
}

export interface FeatureSpec {
  dtype: string;
  shape: number[];
  names: string[] | null;
  info?: Record<string, unknown>;
}

/** Features written to the data files, in column order. */
export function frameFeatures(layout: DatasetLayout, withTelemetry: boolean): Record<string, FeatureSpec> {
  const vector = (): FeatureSpec => ({ dtype: 'float32', shape: [layout.vectorNames.length], names: [...layout.vectorNames] });
  const scalar = (dtype: string): FeatureSpec => ({ dtype, shape: [1], names: null });

  const features: Record<string, FeatureSpec> = { action: vector(), 'observation.state': vector() };
  if (layout.hasVelocity) features['observation.velocity'] = vector();
  if (layout.hasEffort) features['observation.effort'] = vector();
  if (withTelemetry) {
    features[TELEMETRY_FEATURES.kStar] = scalar('int64');
    features[TELEMETRY_FEATURES.horizon] = scalar('int64');
    features[TELEMETRY_FEATURES.inferenceMs] = scalar('float32');
  }
  features.timestamp = scalar('float32');
  features.frame_index = scalar('int64');
  features.episode_index = scalar('int64');
  features.index = scalar('int64');
  features.task_index = scalar('int64');
  return features;
}

/** The video feature of a camera; `info` comes from probing the encoded file. */
export function videoFeature(height: number, width: number, info: Record<string, unknown>): FeatureSpec {
  return { dtype: 'video', shape: [height, width, 3], names: ['height', 'width', 'channels'], info };
}

export interface InfoTotals {
  episodes: number;
  frames: number;
  tasks: number;
}

/** meta/info.json with the features in LeRobot's order: joint vectors, cameras, then the index columns. */
export function datasetInfo(robotType: string | null, fps: number, features: Record<string, FeatureSpec>, hasVideos: boolean, totals: InfoTotals): Record<string, unknown> {
  return {
    codebase_version: CODEBASE_VERSION,
    robot_type: robotType,
    total_episodes: totals.episodes,
    total_frames: totals.frames,
    total_tasks: totals.tasks,
    chunks_size: CHUNKS_SIZE,
    data_files_size_in_mb: DATA_FILES_SIZE_IN_MB,
    video_files_size_in_mb: VIDEO_FILES_SIZE_IN_MB,
    fps,
    splits: { train: `0:${totals.episodes}` },
    data_path: DATA_PATH,
    video_path: hasVideos ? VIDEO_PATH : null,
    features,
  };
}
