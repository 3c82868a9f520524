import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { UserError } from '../common/errors.js';
import { exportEpisodes } from './export-episodes.js';
import { exportEpisodesInWorker } from './export-in-worker.js';
import type { ExportProgress, ExportResult } from './export-types.js';
import { dumpHdf5 } from './test-support/read-back.js';
import { createSyntheticDatabase } from './test-support/synthetic-episode.js';

const CAMERAS = [{ name: 'cam_high', width: 64, height: 48, fps: 30 }];

let dir: string;
let dbPath: string;

beforeAll(async () => {
  ({ dir, dbPath } = await createSyntheticDatabase('rdvla-export-worker-', [
    { seconds: 1, cameras: CAMERAS, seed: 11 },
    { seconds: 0.8, cameras: CAMERAS, seed: 12, kind: 'rollout', task: 'stack the cups' },
  ]));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Removes the fields that differ between two runs of one export: the folder and the time taken. */
function comparable(result: ExportResult): Omit<ExportResult, 'outDir' | 'elapsedS'> {
  const { outDir: _outDir, elapsedS: _elapsedS, ...rest } = result;
  return rest;
}

test('worker export equals the in-thread export', async () => {
  const inThread = await exportEpisodes({ dbPath, format: 'aloha-hdf5', outDir: join(dir, 'in-thread'), withTelemetry: true });
  const progress: ExportProgress[] = [];
  const inWorker = await exportEpisodesInWorker({ dbPath, format: 'aloha-hdf5', outDir: join(dir, 'in-worker'), withTelemetry: true }, (event) => progress.push(event));

  expect(comparable(inWorker)).toEqual(comparable(inThread));
  expect(inWorker.outDir).toBe(join(dir, 'in-worker'));
  for (const file of ['episode_1.hdf5', 'episode_2.hdf5']) {
    expect(dumpHdf5(join(dir, 'in-worker', file))).toEqual(dumpHdf5(join(dir, 'in-thread', file)));
  }

  expect(progress.map((event) => event.episodeId).filter((id) => id !== null)).toEqual(expect.arrayContaining([1, 2]));
  expect(progress.at(-1)).toMatchObject({ episodesDone: 2, episodesTotal: 2, framesDone: inWorker.totalFrames, framesTotal: inWorker.totalFrames, episodeId: null });
});

test('user error crosses the thread', async () => {
  const outDir = join(dir, 'occupied');
  mkdirSync(outDir);
  writeFileSync(join(outDir, 'notes.txt'), 'keep');

  const run = exportEpisodesInWorker({ dbPath, format: 'aloha-hdf5', outDir });
  await expect(run).rejects.toBeInstanceOf(UserError);
  await expect(run).rejects.toThrow(/exists and is not empty: pass --overwrite/);
});

test('abort removes what was written', async () => {
  const controller = new AbortController();
  const run = exportEpisodesInWorker({ dbPath, format: 'lerobot', outDir: join(dir, 'aborted'), signal: controller.signal }, (progress) => {
    if (progress.framesDone > 0) controller.abort();
  });

  await expect(run).rejects.toBeInstanceOf(UserError);
  await expect(run).rejects.toThrow(/stopped before it finished/);
  expect(readdirSync(dir).filter((entry) => entry.startsWith('aborted'))).toEqual([]);
});
