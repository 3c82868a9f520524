import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { UserError, errorMessage } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { EpisodeStore } from '../store/episode-store.js';
import type { EpisodeSummary } from '../store/episode-types.js';
import { writeAlohaEpisode } from './aloha/aloha-writer.js';
import { type DatasetLayout, checkLayout, layoutOf } from './dataset-layout.js';
import { selectEpisodes } from './episode-selection.js';
import { ProgressTracker, countOf } from './export-progress.js';
import {
  DEFAULT_VIDEO_ENCODING,
  EXPORT_FORMATS,
  type ExportOptions,
  type ExportResult,
  type ExportedEpisode,
  type ProgressListener,
  type SkippedEpisode,
} from './export-types.js';
import { LeRobotWriter } from './lerobot/lerobot-writer.js';
import { threadsPerCamera } from './lerobot/video-encoder.js';
import { type SourceEpisode, alignToFps, alignToSteps, estimatedRowsAtFps, readSourceEpisode } from './source-episode.js';
import { prepareStagingDir } from './staging-dir.js';
import { storageFailure } from './write-failure.js';

const log = createLogger('export');

/** Inputs of one format's export beyond the options. */
interface FormatRun {
  store: EpisodeStore;
  episodes: EpisodeSummary[];
  root: string;
  options: ExportOptions;
  onProgress: ProgressListener | undefined;
  /** Registers what to stop when the export is aborted. */
  onAbort: (stop: () => void) => void;
}

interface FormatResult {
  fps: number;
  episodes: ExportedEpisode[];
  elapsedS: number;
}

function checkOptions(options: ExportOptions): void {
  if (!EXPORT_FORMATS.includes(options.format)) {
    throw new UserError(`unknown export format "${options.format}": use one of ${EXPORT_FORMATS.join(', ')}`);
  }
  if (options.fps !== undefined && !(Number.isInteger(options.fps) && options.fps > 0)) {
    throw new UserError(`invalid --fps ${options.fps}: LeRobot datasets need a positive whole number of frames per second`);
  }
}

/** Returns the dataset fps: the option, else the fastest camera's rate, else the episode's control rate. */
function datasetFps(first: SourceEpisode, requested: number | undefined): number {
  if (requested !== undefined) return requested;
  const cameraRates = first.cameras.map((camera) => camera.nominalFps).filter((fps): fps is number => fps !== null);
  const fps = Math.round(cameraRates.length > 0 ? Math.max(...cameraRates) : first.summary.fps);
  if (fps < 1) throw new UserError(`episode ${first.summary.id} runs at ${fps} fps: pass --fps with the dataset frame rate`);
  return fps;
}

/** Reads each episode in turn, checking that it fits the layout of the first one. */
function* sourceEpisodes(run: FormatRun): Generator<{ source: SourceEpisode; layout: DatasetLayout }> {
  let layout: DatasetLayout | null = null;
  for (const summary of run.episodes) {
    run.options.signal?.throwIfAborted();
    const source = readSourceEpisode(run.store, summary, { withInferences: run.options.withTelemetry ?? false });
    if (layout === null) layout = layoutOf(source);
    else checkLayout(layout, source, run.episodes[0]!.id);
    yield { source, layout };
  }
}

async function exportLeRobot(run: FormatRun): Promise<FormatResult> {
  const encoding = { ...DEFAULT_VIDEO_ENCODING, ...run.options.video };
  let started: { fps: number; writer: LeRobotWriter; progress: ProgressTracker } | null = null;
  run.onAbort(() => started?.writer.abort());

  const exported: ExportedEpisode[] = [];
  for (const { source, layout } of sourceEpisodes(run)) {
    if (started === null) {
      const fps = datasetFps(source, run.options.fps);
      const progress = new ProgressTracker(run.episodes.map((episode) => estimatedRowsAtFps(episode, fps)), run.onProgress);
      const writer = new LeRobotWriter(run.root, {
        fps,
        layout,
        withTelemetry: run.options.withTelemetry ?? false,
        encoding,
        threads: encoding.threads > 0 ? encoding.threads : threadsPerCamera(availableParallelism(), layout.cameras.length),
        repoId: run.options.repoId ?? `local/${basename(resolve(run.options.outDir))}`,
      });
      started = { fps, writer, progress };
    }
    const { fps, writer, progress } = started;
    const aligned = alignToFps(source, fps);
    progress.startEpisode(source.summary.id, aligned.length);
    exported.push(await writer.addEpisode(aligned, (rows) => progress.episodeFrames(rows)));
    progress.finishEpisode();
  }

  run.options.signal?.throwIfAborted();
  await started!.writer.finish();
  return { fps: started!.fps, episodes: exported, elapsedS: started!.progress.elapsedS };
}

async function exportAloha(run: FormatRun): Promise<FormatResult> {
  const progress = new ProgressTracker(run.episodes.map((episode) => episode.stepCount), run.onProgress);
  const exported: ExportedEpisode[] = [];
  for (const { source, layout } of sourceEpisodes(run)) {
    const aligned = alignToSteps(source);
    const file = `episode_${source.summary.id}.hdf5`;
    progress.startEpisode(source.summary.id, aligned.length);
    await writeAlohaEpisode(
      join(run.root, file),
      aligned,
      { images: run.options.alohaImages ?? 'jpeg', withTelemetry: run.options.withTelemetry ?? false, vectorWidth: layout.vectorNames.length },
      (rows) => progress.episodeFrames(rows),
    );
    progress.finishEpisode();
    exported.push({ id: source.summary.id, index: exported.length, task: source.summary.task, frames: aligned.length, seconds: aligned.seconds, file });
  }
  return { fps: run.episodes[0]!.fps, episodes: exported, elapsedS: progress.elapsedS };
}

function logSkipped(skipped: readonly SkippedEpisode[]): void {
  for (const { id, reason } of skipped) log.warn(`skipping episode ${id}: ${reason}`);
}

/**
 * Exports the selected episodes of an episode database as a LeRobotDataset v3.0 or as ALOHA HDF5
 * files. The dataset appears at `outDir` only once complete; on failure or abort nothing is left.
 */
export async function exportEpisodes(options: ExportOptions, onProgress?: ProgressListener): Promise<ExportResult> {
  checkOptions(options);
  options.signal?.throwIfAborted();
  const store = EpisodeStore.open(options.dbPath, { readonly: true });
  try {
    const { selected, skipped } = selectEpisodes(store, { filter: options.filter, ids: options.ids, includeIncomplete: options.includeIncomplete });
    logSkipped(skipped);
    const staging = prepareStagingDir(options.outDir, { overwrite: options.overwrite ?? false });
    const stops: Array<() => void> = [];
    const onAbortSignal = (): void => stops.forEach((stop) => stop());
    options.signal?.addEventListener('abort', onAbortSignal, { once: true });

    try {
      const run: FormatRun = { store, episodes: selected, root: staging.path, options, onProgress, onAbort: (stop) => stops.push(stop) };
      const result = options.format === 'lerobot' ? await exportLeRobot(run) : await exportAloha(run);
      options.signal?.throwIfAborted();
      staging.commit();
      const totalFrames = result.episodes.reduce((sum, episode) => sum + episode.frames, 0);
      const recordedSeconds = result.episodes.reduce((sum, episode) => sum + episode.seconds, 0);
      log.info(`exported ${countOf(result.episodes.length, 'episode')} (${totalFrames} frames, ${recordedSeconds.toFixed(1)} s) as ${options.format} to ${resolve(options.outDir)} in ${result.elapsedS.toFixed(1)} s`);
      return { format: options.format, outDir: resolve(options.outDir), fps: result.fps, episodes: result.episodes, skipped, totalFrames, recordedSeconds, elapsedS: result.elapsedS };
    } catch (error) {
      onAbortSignal();
      staging.discard();
      if (options.signal?.aborted) throw new UserError(`export to ${options.outDir} was stopped before it finished: nothing was written there; run it again to export`);
      const storage = storageFailure(error, options.outDir, staging.path);
      if (storage) throw storage;
      if (error instanceof UserError) throw error;
      throw new Error(`export to ${options.outDir} failed and wrote nothing there: ${errorMessage(error)}`, { cause: error });
    } finally {
      options.signal?.removeEventListener('abort', onAbortSignal);
    }
  } finally {
    store.close();
  }
}
