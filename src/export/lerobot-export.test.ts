import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { vectorNames } from '../rig/joint-layout.js';
import { alohaRig } from '../rig/presets.js';
import { EpisodeStore } from '../store/episode-store.js';
import type { FrameRecord, InferenceRecord, StepRecord } from '../store/episode-types.js';
import { exportEpisodes } from './export-episodes.js';
import type { ExportProgress, ExportResult } from './export-types.js';
import { QUANTILE_KEYS } from './feature-stats.js';
import {
  type ParquetRow,
  decodeJpeg,
  decodeVideo,
  gridTimes,
  meanAbsDiff,
  parquetKeyValueMetadata,
  pickSample,
  probeVideo,
  readParquet,
} from './test-support/read-back.js';
import { type SyntheticCamera, recordSyntheticEpisode } from './test-support/synthetic-episode.js';

const FPS = 30;
/** Step rate of the synthetic episodes. */
const CONTROL_HZ = 50;
const CAMERAS: SyntheticCamera[] = [
  { name: 'cam_high', width: 160, height: 120, fps: 30 },
  { name: 'cam_left_wrist', width: 128, height: 96, fps: 30 },
];
const VECTOR_FEATURES = ['action', 'observation.state', 'observation.velocity', 'observation.effort'] as const;

interface SourceEpisode {
  id: number;
  task: string;
  steps: StepRecord[];
  frames: Map<string, FrameRecord[]>;
  inferences: InferenceRecord[];
}

let dir: string;
let outDir: string;
let result: ExportResult;
let progress: ExportProgress[];
let sources: SourceEpisode[];
let data: ParquetRow[];
let episodes: ParquetRow[];
let info: { features: Record<string, { dtype: string; shape: number[]; names: string[] | null; info?: Record<string, unknown> }> } & Record<string, unknown>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rdvla-lerobot-'));
  const dbPath = join(dir, 'episodes.db');
  outDir = join(dir, 'dataset');
  const store = EpisodeStore.open(dbPath);
  await recordSyntheticEpisode(store, { seconds: 2, cameras: CAMERAS, seed: 1 });
  await recordSyntheticEpisode(store, { seconds: 1.5, cameras: CAMERAS, seed: 2, kind: 'rollout', task: 'stack the cups' });
  await recordSyntheticEpisode(store, { seconds: 0.5, cameras: CAMERAS, seed: 3, incomplete: true });
  sources = [1, 2].map((id) => ({
    id,
    task: store.getEpisode(id)!.task,
    steps: store.readSteps(id),
    frames: new Map(CAMERAS.map((camera) => [camera.name, store.readFrames(id, camera.name)])),
    inferences: store.readInferences(id),
  }));
  store.close();

  progress = [];
  result = await exportEpisodes({ dbPath, format: 'lerobot', outDir, withTelemetry: true, repoId: 'lab/towels' }, (snapshot) => progress.push(snapshot));
  data = await readParquet(join(outDir, 'data/chunk-000/file-000.parquet'));
  episodes = await readParquet(join(outDir, 'meta/episodes/chunk-000/file-000.parquet'));
  info = JSON.parse(readFileSync(join(outDir, 'meta/info.json'), 'utf8'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The source step and frames each exported row of episode `e` must show. */
function expectedRows(source: SourceEpisode): Array<{ step: StepRecord; frames: Map<string, FrameRecord> }> {
  const stepTimes = source.steps.map((step) => step.tNs);
  return gridTimes(stepTimes, FPS, CONTROL_HZ).map((t) => ({
    step: source.steps[pickSample(stepTimes, t)]!,
    frames: new Map(CAMERAS.map((camera) => {
      const frames = source.frames.get(camera.name)!;
      return [camera.name, frames[pickSample(frames.map((frame) => frame.tNs), t)]!];
    })),
  }));
}

function rowsOf(episodeIndex: number): ParquetRow[] {
  return data.filter((row) => row.episode_index === BigInt(episodeIndex));
}

describe('LeRobot export', () => {
  test('skips the incomplete episode', () => {
    expect(result.episodes.map((episode) => episode.id)).toEqual([1, 2]);
    expect(result.skipped.map((skipped) => skipped.id)).toEqual([3]);
    expect(result.skipped[0]!.reason).toContain('--include-incomplete');
    expect(result.fps).toBe(FPS);
  });

  test('info.json describes the dataset', () => {
    const names = vectorNames(alohaRig({ left_leader: 'a', left_follower: 'b', right_leader: 'c', right_follower: 'd' }));
    expect(info.codebase_version).toBe('v3.0');
    expect(info.robot_type).toBe('aloha');
    expect(info.fps).toBe(FPS);
    expect(info.total_episodes).toBe(2);
    expect(info.total_frames).toBe(data.length);
    expect(info.total_tasks).toBe(2);
    expect(info.chunks_size).toBe(1000);
    expect(info.splits).toEqual({ train: '0:2' });
    expect(info.data_path).toBe('data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet');
    expect(info.video_path).toBe('videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4');
    for (const name of VECTOR_FEATURES) expect(info.features[name]).toEqual({ dtype: 'float32', shape: [14], names });
    expect(info.features.timestamp).toEqual({ dtype: 'float32', shape: [1], names: null });
    for (const name of ['frame_index', 'episode_index', 'index', 'task_index', 'rollout.k_star', 'rollout.horizon']) {
      expect(info.features[name]).toEqual({ dtype: 'int64', shape: [1], names: null });
    }
    expect(info.features['observation.images.cam_high']).toEqual({
      dtype: 'video',
      shape: [120, 160, 3],
      names: ['height', 'width', 'channels'],
      info: { 'video.height': 120, 'video.width': 160, 'video.codec': 'h264', 'video.pix_fmt': 'yuv420p', 'video.is_depth_map': false, 'video.fps': 30, 'video.channels': 3, has_audio: false },
    });
  });

  test('data rows hold every resampled value', () => {
    let index = 0;
    for (const [episodeIndex, source] of sources.entries()) {
      const expected = expectedRows(source);
      const rows = rowsOf(episodeIndex);
      expect(rows).toHaveLength(expected.length);
      for (const [i, row] of rows.entries()) {
        const step = expected[i]!.step;
        expect(row['observation.state']).toEqual([...step.observationState]);
        expect(row.action).toEqual([...step.action]);
        expect(row['observation.velocity']).toEqual([...step.followerVelocity!]);
        expect(row['observation.effort']).toEqual([...step.followerCurrent!]);
        expect(row.timestamp).toBe(Math.fround(i / FPS));
        expect(row.frame_index).toBe(BigInt(i));
        expect(row.episode_index).toBe(BigInt(episodeIndex));
        expect(row.index).toBe(BigInt(index++));
        expect(row.task_index).toBe(BigInt(episodeIndex));
      }
    }
    expect(data).toHaveLength(index);
  });

  test('timestamps pass the loader check', () => {
    for (const row of data) expect(Math.abs(Number(row.timestamp) - Number(row.frame_index) / FPS)).toBeLessThanOrEqual(1e-4);
  });

  test('telemetry comes from the executed chunk', () => {
    const teleop = rowsOf(0);
    expect(new Set(teleop.map((row) => row['rollout.k_star']))).toEqual(new Set([-1n]));

    const source = sources[1]!;
    for (const [i, row] of rowsOf(1).entries()) {
      const step = expectedRows(source)[i]!.step;
      const inference = source.inferences.filter((candidate) => candidate.stepIndex <= step.index).at(-1)!;
      expect(row['rollout.k_star']).toBe(BigInt(inference.kStar));
      expect(row['rollout.horizon']).toBe(BigInt(inference.horizon));
      expect(row['rollout.inference_ms']).toBe(Math.fround(inference.timings.total!));
    }
  });

  test('episodes metadata indexes data and videos', () => {
    expect(episodes.map((row) => row.episode_index)).toEqual([0n, 1n]);
    expect(episodes.map((row) => row.tasks)).toEqual([['fold the towel'], ['stack the cups']]);
    expect(episodes.map((row) => row.source_episode_id)).toEqual([1n, 2n]);
    const lengths = [rowsOf(0).length, rowsOf(1).length];
    expect(episodes.map((row) => row.length)).toEqual(lengths.map(BigInt));
    expect(episodes.map((row) => row.dataset_from_index)).toEqual([0n, BigInt(lengths[0]!)]);
    expect(episodes.map((row) => row.dataset_to_index)).toEqual([BigInt(lengths[0]!), BigInt(lengths[0]! + lengths[1]!)]);
    for (const row of episodes) {
      expect(row['data/chunk_index']).toBe(0n);
      expect(row['data/file_index']).toBe(0n);
      expect(row['meta/episodes/chunk_index']).toBe(0n);
      expect(row['meta/episodes/file_index']).toBe(0n);
    }
    for (const camera of CAMERAS) {
      const key = `videos/observation.images.${camera.name}`;
      expect(episodes.map((row) => row[`${key}/from_timestamp`])).toEqual([0, lengths[0]! / FPS]);
      expect(episodes.map((row) => row[`${key}/to_timestamp`])).toEqual([lengths[0]! / FPS, (lengths[0]! + lengths[1]!) / FPS]);
      expect(episodes.map((row) => row[`${key}/chunk_index`])).toEqual([0n, 0n]);
    }
  });

  test('episode statistics match the rows', () => {
    for (const [episodeIndex, episode] of episodes.entries()) {
      const rows = rowsOf(episodeIndex);
      const states = rows.map((row) => row['observation.state'] as number[]);
      for (let j = 0; j < 14; j++) {
        const column = states.map((state) => state[j]!);
        const mean = column.reduce((sum, value) => sum + value, 0) / column.length;
        expect((episode['stats/observation.state/min'] as number[])[j]).toBe(Math.min(...column));
        expect((episode['stats/observation.state/max'] as number[])[j]).toBe(Math.max(...column));
        expect((episode['stats/observation.state/mean'] as number[])[j]).toBeCloseTo(mean, 9);
        expect((episode['stats/observation.state/std'] as number[])[j]).toBeCloseTo(Math.sqrt(column.reduce((sum, value) => sum + (value - mean) ** 2, 0) / column.length), 9);
      }
      expect(episode['stats/observation.state/count']).toEqual([BigInt(rows.length)]);
      expect(episode['stats/timestamp/max']).toEqual([Math.fround((rows.length - 1) / FPS)]);
      expect(episode['stats/frame_index/min']).toEqual([0]);
      const image = episode['stats/observation.images.cam_high/mean'] as number[][][];
      expect(image).toHaveLength(3);
      for (const channel of image) {
        expect(channel[0]![0]).toBeGreaterThan(0);
        expect(channel[0]![0]).toBeLessThan(1);
      }
      for (const key of QUANTILE_KEYS) expect(episode[`stats/action/${key}`]).toHaveLength(14);
    }
  });

  test('stats.json aggregates the episodes', () => {
    const stats = JSON.parse(readFileSync(join(outDir, 'meta/stats.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    const actions = data.map((row) => row.action as number[]);
    for (let j = 0; j < 14; j++) {
      const column = actions.map((action) => action[j]!);
      const mean = column.reduce((sum, value) => sum + value, 0) / column.length;
      expect((stats.action!.min as number[])[j]).toBe(Math.min(...column));
      expect((stats.action!.max as number[])[j]).toBe(Math.max(...column));
      expect((stats.action!.mean as number[])[j]).toBeCloseTo(mean, 9);
      expect((stats.action!.std as number[])[j]).toBeCloseTo(Math.sqrt(column.reduce((sum, value) => sum + (value - mean) ** 2, 0) / column.length), 9);
    }
    expect(stats.action!.count).toEqual([data.length]);
    expect(Object.keys(stats.action!)).toEqual(['min', 'max', 'mean', 'std', 'count', ...QUANTILE_KEYS]);
    expect(stats.index!.max).toEqual([data.length - 1]);
    const imageCount = episodes.reduce((sum, row) => sum + Number((row['stats/observation.images.cam_high/count'] as bigint[])[0]), 0);
    expect(stats['observation.images.cam_high']!.count).toEqual([imageCount]);
  });

  test('tasks table is indexed by task', async () => {
    const path = join(outDir, 'meta/tasks.parquet');
    expect(await readParquet(path)).toEqual([
      { task_index: 0n, task: 'fold the towel' },
      { task_index: 1n, task: 'stack the cups' },
    ]);
    expect(JSON.parse(parquetKeyValueMetadata(path).pandas!).index_columns).toEqual(['task']);
  });

  test('videos hold every frame at its timestamp', async () => {
    for (const camera of CAMERAS) {
      const path = join(outDir, `videos/observation.images.${camera.name}/chunk-000/file-000.mp4`);
      const probe = probeVideo(path);
      expect(probe).toMatchObject({ codec: 'h264', pixFmt: 'yuv420p', width: camera.width, height: camera.height, frames: data.length });
      expect(probe.durationS).toBeCloseTo(data.length / FPS, 3);

      const decoded = decodeVideo(path, camera.width, camera.height);
      expect(decoded).toHaveLength(data.length);
      for (const [episodeIndex, source] of sources.entries()) {
        const from = episodes[episodeIndex]![`videos/observation.images.${camera.name}/from_timestamp`] as number;
        const first = Math.round(from * FPS);
        for (const [i, expected] of expectedRows(source).entries()) {
          expect(Math.abs(probe.frameTimes[first + i]! - (from + i / FPS))).toBeLessThanOrEqual(1e-4);
          const pixels = await decodeJpeg(expected.frames.get(camera.name)!.jpeg);
          expect(meanAbsDiff(decoded[first + i]!, pixels)).toBeLessThan(8);
        }
      }
    }
  });

  test('neighbouring frames differ more than the codec loss', async () => {
    const frames = sources[0]!.frames.get('cam_high')!;
    const diff = meanAbsDiff(await decodeJpeg(frames[0]!.jpeg), await decodeJpeg(frames[1]!.jpeg));
    expect(diff).toBeGreaterThan(16);
  });

  test('progress counts up to every frame', () => {
    const last = progress.at(-1)!;
    expect(last.episodesDone).toBe(2);
    expect(last.episodesTotal).toBe(2);
    expect(last.framesDone).toBe(data.length);
    expect(last.framesTotal).toBe(data.length);
    expect(progress[0]!.framesTotal).toBe(data.length);
    const done = progress.map((snapshot) => snapshot.framesDone);
    expect(done).toEqual([...done].sort((a, b) => a - b));
  });

  test('dataset card names the repository', () => {
    const card = readFileSync(join(outDir, 'README.md'), 'utf8');
    expect(card).toContain('# lab/towels');
    expect(card).toContain('- LeRobot');
  });
});

describe('LeRobot export at the control rate', () => {
  test('50 fps keeps an early last step', async () => {
    const fpsDir = mkdtempSync(join(tmpdir(), 'rdvla-lerobot-50-'));
    try {
      const dbPath = join(fpsDir, 'episodes.db');
      const store = EpisodeStore.open(dbPath);
      // This episode's last step comes before 9.98 s, its time on the 50 fps grid.
      await recordSyntheticEpisode(store, { seconds: 10, cameras: [], seed: 4 });
      const steps = store.readSteps(1);
      store.close();
      expect(steps).toHaveLength(500);
      expect(steps[499]!.tNs - steps[0]!.tNs).toBeLessThan(9_980_000_000n);

      const snapshots: ExportProgress[] = [];
      const exported = await exportEpisodes({ dbPath, format: 'lerobot', outDir: join(fpsDir, 'dataset'), fps: 50 }, (snapshot) => snapshots.push(snapshot));
      const rows = await readParquet(join(fpsDir, 'dataset/data/chunk-000/file-000.parquet'));

      expect(exported.totalFrames).toBe(500);
      expect(rows).toHaveLength(500);
      expect(rows[499]!['observation.state']).toEqual([...steps[499]!.observationState]);
      expect(rows[499]!.timestamp).toBe(Math.fround(9.98));
      expect(snapshots.map((snapshot) => snapshot.framesTotal)).toEqual(snapshots.map(() => 500));
    } finally {
      rmSync(fpsDir, { recursive: true, force: true });
    }
  });
});
