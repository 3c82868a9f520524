import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DatasetLayout } from '../dataset-layout.js';
import type { ExportedEpisode, VideoEncoding } from '../export-types.js';
import { type FeatureStats, aggregateStats, statsToJson, vectorStats } from '../feature-stats.js';
import { type AlignedEpisode, framesForRows, gatherVectors } from '../source-episode.js';
import { telemetryColumns } from '../telemetry.js';
import { datasetCard } from './dataset-card.js';
import { type EpisodeRow, type VideoSegment, writeEpisodesTable, writeTasksTable } from './episodes-table.js';
import { videoFeatureStats } from './image-stats.js';
import { CameraVideoFiles, DataFiles } from './lerobot-files.js';
import {
  EPISODES_PATH,
  type FeatureSpec,
  INFO_PATH,
  STATS_PATH,
  TASKS_PATH,
  TELEMETRY_FEATURES,
  datasetInfo,
  formatPath,
  frameFeatures,
  videoFeature,
  videoKey,
} from './lerobot-layout.js';
import { type Column, float32Column, float32ListColumn, int64Column, recordBatch } from './parquet-columns.js';
import { probeVideoInfo } from './video-encoder.js';
import { FileWriteError } from '../write-failure.js';
import { errorMessage } from '../../common/errors.js';

/** Frames between progress reports while an episode's videos are written. */
const PROGRESS_EVERY_FRAMES = 10;

export interface LeRobotWriterOptions {
  fps: number;
  layout: DatasetLayout;
  withTelemetry: boolean;
  encoding: VideoEncoding;
  /** Threads per ffmpeg process. */
  threads: number;
  repoId: string;
}

/** Writes a LeRobotDataset v3.0 into `root`, one episode at a time. */
export class LeRobotWriter {
  readonly #root: string;
  readonly #options: LeRobotWriterOptions;
  readonly #features: Record<string, FeatureSpec>;
  readonly #data: DataFiles;
  readonly #videos: CameraVideoFiles[];
  readonly #tasks: string[] = [];
  readonly #rows: EpisodeRow[] = [];
  #totalFrames = 0;

  constructor(root: string, options: LeRobotWriterOptions) {
    this.#root = root;
    this.#options = options;
    this.#features = frameFeatures(options.layout, options.withTelemetry);
    this.#data = new DataFiles(root);
    this.#videos = options.layout.cameras.map((camera) => new CameraVideoFiles(root, videoKey(camera.name), options.fps, options.encoding, options.threads));
  }

  /** Frame columns of one episode, in feature order. */
  #frameColumns(aligned: AlignedEpisode, episodeIndex: number, taskIndex: number): Column[] {
    const { fps, layout, withTelemetry } = this.#options;
    const width = layout.vectorNames.length;
    const length = aligned.length;
    const columns = [
      float32ListColumn('action', gatherVectors(aligned, width, (step) => step.action), width),
      float32ListColumn('observation.state', gatherVectors(aligned, width, (step) => step.observationState), width),
    ];
    if (layout.hasVelocity) columns.push(float32ListColumn('observation.velocity', gatherVectors(aligned, width, (step) => step.followerVelocity), width));
    if (layout.hasEffort) columns.push(float32ListColumn('observation.effort', gatherVectors(aligned, width, (step) => step.followerCurrent), width));
    if (withTelemetry) {
      const telemetry = telemetryColumns(aligned);
      columns.push(
        int64Column(TELEMETRY_FEATURES.kStar, telemetry.kStar),
        int64Column(TELEMETRY_FEATURES.horizon, telemetry.horizon),
        float32Column(TELEMETRY_FEATURES.inferenceMs, telemetry.inferenceMs),
      );
    }
    columns.push(
      float32Column('timestamp', Float32Array.from({ length }, (_, i) => i / fps)),
      int64Column('frame_index', BigInt64Array.from({ length }, (_, i) => BigInt(i))),
      int64Column('episode_index', new BigInt64Array(length).fill(BigInt(episodeIndex))),
      int64Column('index', BigInt64Array.from({ length }, (_, i) => BigInt(this.#totalFrames + i))),
      int64Column('task_index', new BigInt64Array(length).fill(BigInt(taskIndex))),
    );
    return columns;
  }

  #taskIndex(task: string): number {
    let index = this.#tasks.indexOf(task);
    if (index < 0) index = this.#tasks.push(task) - 1;
    return index;
  }

  /**
   * Writes one episode: its rows to the data file, its frames to each camera's video. Calls
   * `onFrames` with the rows whose frames every camera has taken so far.
   */
  async addEpisode(aligned: AlignedEpisode, onFrames: (rowsDone: number) => void): Promise<ExportedEpisode> {
    const episodeIndex = this.#rows.length;
    const task = aligned.source.summary.task;
    const columns = this.#frameColumns(aligned, episodeIndex, this.#taskIndex(task));
    const dataSlot = this.#data.add(recordBatch(columns));

    const stats = new Map<string, FeatureStats>();
    const byName = new Map(columns.map((column) => [column.name, column]));
    const videoSegments = new Map<string, VideoSegment>();
    for (const video of this.#videos) videoSegments.set(video.key, await video.beginEpisode(aligned.length));

    const imageStats = await this.#writeVideos(aligned, onFrames);
    for (const [name, spec] of Object.entries(this.#features)) {
      const data = byName.get(name)!.data;
      const flat = (data.children.length > 0 ? data.children[0]!.values : data.values) as Float32Array | BigInt64Array;
      stats.set(name, vectorStats(flat, aligned.length, spec.shape[0]!));
    }
    const ordered = this.#orderStats(stats, imageStats);

    this.#rows.push({
      episodeIndex,
      tasks: [task],
      length: aligned.length,
      data: dataSlot,
      datasetFromIndex: this.#totalFrames,
      datasetToIndex: this.#totalFrames + aligned.length,
      videos: videoSegments,
      stats: ordered,
      sourceEpisodeId: aligned.source.summary.id,
    });
    this.#totalFrames += aligned.length;
    onFrames(aligned.length);
    return { id: aligned.source.summary.id, index: episodeIndex, task, frames: aligned.length, seconds: aligned.seconds, file: null };
  }

  /** Statistics in LeRobot's feature order: joint vectors, camera videos, then the rest. */
  #orderStats(frameStats: Map<string, FeatureStats>, imageStats: Map<string, FeatureStats>): Map<string, FeatureStats> {
    const ordered = new Map<string, FeatureStats>();
    for (const name of this.#vectorFeatureNames()) ordered.set(name, frameStats.get(name)!);
    for (const [key, stats] of imageStats) ordered.set(key, stats);
    for (const [name, stats] of frameStats) if (!ordered.has(name)) ordered.set(name, stats);
    return ordered;
  }

  #vectorFeatureNames(): string[] {
    return Object.entries(this.#features)
      .filter(([name, spec]) => spec.names !== null && (name === 'action' || name.startsWith('observation.')))
      .map(([name]) => name);
  }

  /** Pipes every camera's frames to its encoder in parallel and samples them for image statistics. */
  async #writeVideos(aligned: AlignedEpisode, onFrames: (rowsDone: number) => void): Promise<Map<string, FeatureStats>> {
    const cameras = aligned.source.cameras;
    const written = new Array<number>(cameras.length).fill(0);
    const report = (): void => onFrames(Math.min(...written));

    const encodes = cameras.map(async (camera, c) => {
      const video = this.#videos[c]!;
      const frames = framesForRows(aligned, camera);
      for (let row = 0; row < frames.length; row++) {
        await video.writeFrame(frames[row]!.jpeg);
        written[c] = row + 1;
        if (row % PROGRESS_EVERY_FRAMES === 0) report();
      }
    });
    const stats = cameras.map(async (camera) => [videoKey(camera.name), await videoFeatureStats(framesForRows(aligned, camera))] as const);

    await Promise.all(encodes);
    return new Map(await Promise.all(stats));
  }

  /** Finishes the videos and writes the data files and every metadata file. */
  async finish(): Promise<void> {
    await Promise.all(this.#videos.map((video) => video.finish()));
    this.#data.flush();

    const features: Record<string, FeatureSpec> = {};
    for (const name of this.#vectorFeatureNames()) features[name] = this.#features[name]!;
    for (const [index, camera] of this.#options.layout.cameras.entries()) {
      features[videoKey(camera.name)] = videoFeature(camera.height, camera.width, await probeVideoInfo(this.#videos[index]!.firstPath));
    }
    for (const [name, spec] of Object.entries(this.#features)) features[name] ??= spec;

    const episodesSlot = { chunk: 0, file: 0 };
    this.#writeFile(formatPath(EPISODES_PATH, episodesSlot), (path) => writeEpisodesTable(path, this.#rows, episodesSlot));
    this.#writeFile(TASKS_PATH, (path) => writeTasksTable(path, this.#tasks));
    this.#writeFile(STATS_PATH, (path) => writeFileSync(path, `${JSON.stringify(this.#datasetStats(), null, 4)}\n`));

    const totals = { episodes: this.#rows.length, frames: this.#totalFrames, tasks: this.#tasks.length };
    const info = datasetInfo(this.#options.layout.robotType, this.#options.fps, features, this.#videos.length > 0, totals);
    this.#writeFile(INFO_PATH, (path) => writeFileSync(path, `${JSON.stringify(info, null, 4)}\n`));
    this.#writeFile('README.md', (path) => writeFileSync(path, datasetCard(this.#options.repoId, info)));
  }

  #datasetStats(): Record<string, unknown> {
    const json: Record<string, unknown> = {};
    for (const feature of this.#rows[0]!.stats.keys()) {
      json[feature] = statsToJson(aggregateStats(this.#rows.map((row) => row.stats.get(feature)!)));
    }
    return json;
  }

  #writeFile(relativePath: string, write: (path: string) => void): void {
    const path = join(this.#root, relativePath);
    try {
      mkdirSync(dirname(path), { recursive: true });
      write(path);
    } catch (error) {
      throw new FileWriteError(path, `could not write ${path}: ${errorMessage(error)}`, { cause: error });
    }
  }

  /** Stops every encoder; the files left behind are incomplete. */
  abort(): void {
    for (const video of this.#videos) video.kill();
  }
}
