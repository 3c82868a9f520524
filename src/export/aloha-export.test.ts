import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EpisodeStore } from '../store/episode-store.js';
import type { FrameRecord, InferenceRecord, StepRecord } from '../store/episode-types.js';
import { exportEpisodes } from './export-episodes.js';
import type { ExportResult } from './export-types.js';
import { type Hdf5Dump, decodeJpeg, dumpHdf5, float32Values, int64Values, pickSample } from './test-support/read-back.js';
import { type SyntheticCamera, recordSyntheticEpisode } from './test-support/synthetic-episode.js';

const CAMERAS: SyntheticCamera[] = [
  { name: 'cam_low', width: 64, height: 48, fps: 30 },
  { name: 'cam_high', width: 80, height: 60, fps: 25 },
];

interface SourceEpisode {
  steps: StepRecord[];
  frames: Map<string, FrameRecord[]>;
  inferences: InferenceRecord[];
}

let dir: string;
let dbPath: string;
let sources: Map<number, SourceEpisode>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rdvla-aloha-'));
  dbPath = join(dir, 'episodes.db');
  const store = EpisodeStore.open(dbPath);
  await recordSyntheticEpisode(store, { seconds: 1, cameras: CAMERAS, seed: 4 });
  await recordSyntheticEpisode(store, { seconds: 0.8, cameras: CAMERAS, seed: 5, kind: 'rollout', task: 'stack the cups' });
  sources = new Map(
    [1, 2].map((id) => [id, { steps: store.readSteps(id), frames: new Map(CAMERAS.map((camera) => [camera.name, store.readFrames(id, camera.name)])), inferences: store.readInferences(id) }]),
  );
  store.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Returns the frame of `camera` shown at each step: the latest at or before the step, else the first. */
function framesAtSteps(source: SourceEpisode, camera: string): FrameRecord[] {
  const frames = source.frames.get(camera)!;
  const times = frames.map((frame) => frame.tNs);
  return source.steps.map((step) => frames[pickSample(times, step.tNs)]!);
}

function expectVectors(dump: Hdf5Dump, source: SourceEpisode): void {
  const rows = source.steps.length;
  const vectors: Array<[string, (step: StepRecord) => Float32Array | null]> = [
    ['observations/qpos', (step) => step.observationState],
    ['observations/qvel', (step) => step.followerVelocity],
    ['observations/effort', (step) => step.followerCurrent],
    ['action', (step) => step.action],
  ];
  for (const [name, pick] of vectors) {
    const dataset = dump.datasets[name]!;
    expect(dataset.shape).toEqual([rows, 14]);
    expect(dataset.dtype).toBe('float32');
    const values = float32Values(dataset.bytes);
    source.steps.forEach((step, row) => expect([...values.subarray(row * 14, (row + 1) * 14)]).toEqual([...pick(step)!]));
  }
}

describe('ALOHA HDF5 export', () => {
  let result: ExportResult;
  let dumps: Map<number, Hdf5Dump>;

  beforeAll(async () => {
    result = await exportEpisodes({ dbPath, format: 'aloha-hdf5', outDir: join(dir, 'jpeg'), withTelemetry: true });
    dumps = new Map([1, 2].map((id) => [id, dumpHdf5(join(dir, 'jpeg', `episode_${id}.hdf5`))]));
  });

  test('writes one file per episode', () => {
    expect(readdirSync(join(dir, 'jpeg')).sort()).toEqual(['episode_1.hdf5', 'episode_2.hdf5']);
    expect(result.episodes.map((episode) => episode.file)).toEqual(['episode_1.hdf5', 'episode_2.hdf5']);
    expect(result.fps).toBe(50);
  });

  test('root attributes mark a compressed real-robot episode', () => {
    expect(dumps.get(2)!.attrs).toEqual({ sim: 0, compress: 1, task: 'stack the cups', episode_id: 2, fps: 50 });
  });

  test('joint datasets equal the steps', () => {
    for (const [id, dump] of dumps) expectVectors(dump, sources.get(id)!);
  });

  test('JPEG rows equal the recorded frames', () => {
    for (const [id, dump] of dumps) {
      const source = sources.get(id)!;
      const lengths = float32Values(dump.datasets.compress_len!.bytes);
      expect(dump.datasets.compress_len!.shape).toEqual([2, source.steps.length]);
      // compress_len rows follow h5py's alphabetical camera order: cam_high, cam_low.
      for (const [cameraIndex, camera] of ['cam_high', 'cam_low'].entries()) {
        const dataset = dump.datasets[`observations/images/${camera}`]!;
        const expected = framesAtSteps(source, camera);
        const padded = Math.max(...expected.map((frame) => frame.jpeg.byteLength));
        expect(dataset.shape).toEqual([source.steps.length, padded]);
        expected.forEach((frame, row) => {
          const length = lengths[cameraIndex * source.steps.length + row]!;
          expect(length).toBe(frame.jpeg.byteLength);
          const stored = dataset.bytes.subarray(row * padded, (row + 1) * padded);
          expect(Buffer.compare(stored.subarray(0, length), Buffer.from(frame.jpeg))).toBe(0);
          expect(stored.subarray(length).every((byte) => byte === 0)).toBe(true);
        });
      }
    }
  });

  test('telemetry follows the executed chunk', () => {
    const source = sources.get(2)!;
    const kStar = int64Values(dumps.get(2)!.datasets['rollout/k_star']!.bytes);
    const latency = float32Values(dumps.get(2)!.datasets['rollout/inference_ms']!.bytes);
    source.steps.forEach((step, row) => {
      const inference = source.inferences.filter((candidate) => candidate.stepIndex <= step.index).at(-1)!;
      expect(kStar[row]).toBe(BigInt(inference.kStar));
      expect(latency[row]).toBe(Math.fround(inference.timings.total!));
    });
    expect(new Set(int64Values(dumps.get(1)!.datasets['rollout/horizon']!.bytes))).toEqual(new Set([-1n]));
  });
});

describe('ALOHA HDF5 export with raw images', () => {
  test('pixels equal the decoded frames', async () => {
    await exportEpisodes({ dbPath, format: 'aloha-hdf5', outDir: join(dir, 'raw'), alohaImages: 'raw', ids: [2] });
    const dump = dumpHdf5(join(dir, 'raw', 'episode_2.hdf5'));
    const source = sources.get(2)!;

    expect(dump.attrs.compress).toBe(0);
    expect(dump.datasets.compress_len).toBeUndefined();
    expectVectors(dump, source);
    for (const camera of CAMERAS) {
      const dataset = dump.datasets[`observations/images/${camera.name}`]!;
      expect(dataset.shape).toEqual([source.steps.length, camera.height, camera.width, 3]);
      expect(dataset.dtype).toBe('uint8');
      const rowBytes = camera.height * camera.width * 3;
      const expected = framesAtSteps(source, camera.name);
      for (const [row, frame] of expected.entries()) {
        const pixels = await decodeJpeg(frame.jpeg);
        expect(Buffer.compare(dataset.bytes.subarray(row * rowBytes, (row + 1) * rowBytes), pixels)).toBe(0);
      }
    }
  });
});
