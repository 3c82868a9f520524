/** Options, progress and results of an episode export, shared by the CLI and the application service. */
import type { EpisodeFilter } from '../store/episode-types.js';

export type ExportFormat = 'lerobot' | 'aloha-hdf5';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['lerobot', 'aloha-hdf5'];

/** How ALOHA HDF5 files store camera images: the recorded JPEG bytes, or decoded RGB pixels. */
export type AlohaImageMode = 'jpeg' | 'raw';
export const ALOHA_IMAGE_MODES: readonly AlohaImageMode[] = ['jpeg', 'raw'];

/** H.264 settings for LeRobot videos. */
export interface VideoEncoding {
  /** x264 preset, e.g. ultrafast, veryfast, medium. */
  preset: string;
  /** x264 constant rate factor: lower is better quality and larger files. */
  crf: number;
  /** Frames between keyframes; small values make random access during training cheap. */
  gop: number;
  /** Threads per ffmpeg process; 0 picks from the number of CPUs and cameras. */
  threads: number;
}

export const DEFAULT_VIDEO_ENCODING: VideoEncoding = { preset: 'ultrafast', crf: 23, gop: 10, threads: 0 };

export interface ExportOptions {
  /** Episode database (SQLite) to read. */
  dbPath: string;
  format: ExportFormat;
  /** Dataset folder to create; it must not exist or be empty unless `overwrite` is set. */
  outDir: string;
  filter?: EpisodeFilter;
  /** Export only these episode ids (still subject to `filter`). */
  ids?: readonly number[];
  /** Export episodes whose recording did not finish; they are skipped with a warning otherwise. */
  includeIncomplete?: boolean;
  /** LeRobot frame rate; defaults to the camera rate, or the control rate without cameras. */
  fps?: number;
  /** Dataset name written into the LeRobot dataset card, e.g. "lab/fold_towel". */
  repoId?: string;
  /** Add rollout telemetry (k*, execution horizon, inference latency) per frame. */
  withTelemetry?: boolean;
  /** Replace a non-empty `outDir`. */
  overwrite?: boolean;
  /** ALOHA image storage; defaults to jpeg. */
  alohaImages?: AlohaImageMode;
  /** LeRobot video encoder settings; defaults to DEFAULT_VIDEO_ENCODING. */
  video?: Partial<VideoEncoding>;
  /** Aborting stops the export and removes what it wrote. */
  signal?: AbortSignal;
}

export interface ExportProgress {
  episodesDone: number;
  episodesTotal: number;
  /** Output frames written (LeRobot frames, ALOHA steps) over all episodes. */
  framesDone: number;
  /** Exact for episodes already read, estimated from recorded durations for the others. */
  framesTotal: number;
  elapsedS: number;
  /** Output frames per second since the export started. */
  framesPerSecond: number;
  /** Estimated seconds left; null before the first frame. */
  remainingS: number | null;
  /** Source id of the episode being written; null before the first and after the last. */
  episodeId: number | null;
}

export type ProgressListener = (progress: ExportProgress) => void;

export interface ExportedEpisode {
  /** Episode id in the episode database. */
  id: number;
  /** Episode index in the exported dataset. */
  index: number;
  task: string;
  frames: number;
  /** Seconds of recording covered by the exported frames. */
  seconds: number;
  /** File holding the episode, relative to outDir (ALOHA), or null (LeRobot shares files). */
  file: string | null;
}

export interface SkippedEpisode {
  id: number;
  reason: string;
}

export interface ExportResult {
  format: ExportFormat;
  outDir: string;
  /** Frame rate of the dataset: the LeRobot fps, or the control rate of the ALOHA files. */
  fps: number;
  episodes: ExportedEpisode[];
  skipped: SkippedEpisode[];
  totalFrames: number;
  /** Seconds of recording exported. */
  recordedSeconds: number;
  elapsedS: number;
}
