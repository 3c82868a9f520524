import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createSyntheticDatabase } from '../export/test-support/synthetic-episode.js';
import type { ExportProgress } from './api.js';
import { ExportService } from './export-service.js';
import { ServiceEvents } from './service-events.js';

let dir: string;
let dbPath: string;

beforeAll(async () => {
  ({ dir, dbPath } = await createSyntheticDatabase('rdvla-export-service-', [
    { seconds: 1, cameras: [{ name: 'cam_high', width: 64, height: 48, fps: 30 }], seed: 21 },
  ]));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('export rejects a second one while running', async () => {
  const events = new ServiceEvents();
  const progress: ExportProgress[] = [];
  events.on('export.progress', (event) => progress.push(event));
  const service = new ExportService(dbPath, join(dir, 'exports'), events);

  const first = service.start({ format: 'aloha-hdf5', episodeIds: [1], outDir: join(dir, 'first') });
  await expect(service.start({ format: 'aloha-hdf5', episodeIds: [1], outDir: join(dir, 'second') })).rejects.toThrow('an export is running: wait for it to finish');

  expect(await first).toEqual({ outDir: join(dir, 'first'), episodes: 1, format: 'aloha-hdf5', skipped: [] });
  expect(progress.at(-1)).toMatchObject({ stage: 'done', outDir: join(dir, 'first'), finished: true });
  expect(existsSync(join(dir, 'second'))).toBe(false);

  await expect(service.start({ format: 'aloha-hdf5', episodeIds: [1], outDir: join(dir, 'third') })).resolves.toMatchObject({ episodes: 1 });
});

test('export close stops the running one', async () => {
  const events = new ServiceEvents();
  const service = new ExportService(dbPath, join(dir, 'exports'), events);

  const run = service.start({ format: 'lerobot', episodeIds: [1], outDir: join(dir, 'closed') });
  await service.close();

  await expect(run).rejects.toThrow(/stopped before it finished/);
  expect(readdirSync(dir).filter((entry) => entry.startsWith('closed'))).toEqual([]);
});
