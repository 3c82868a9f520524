import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { UserError } from '../common/errors.js';
import { recordSyntheticEpisode } from '../export/test-support/synthetic-episode.js';
import { EpisodeStore } from '../store/episode-store.js';
import { EpisodesService } from './episodes-service.js';
import { ServiceEvents } from './service-events.js';

const CAMERAS = [{ name: 'cam_high', width: 32, height: 24, fps: 10 }];

describe('episodes service delete', () => {
  let dir: string;
  let store: EpisodeStore;
  let events: ServiceEvents;
  let recording: number[];
  let service: EpisodesService;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdvla-episodes-service-'));
    store = EpisodeStore.open(join(dir, 'episodes.db'));
    await recordSyntheticEpisode(store, { seconds: 0.5, cameras: CAMERAS, seed: 1 });
    await recordSyntheticEpisode(store, { seconds: 0.5, cameras: CAMERAS, seed: 2, kind: 'rollout' });
    events = new ServiceEvents();
    recording = [];
    service = new EpisodesService(store, events, () => recording);
  });

  afterEach(() => {
    service.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('delete removes the episode and its rows', async () => {
    const changed: number[][] = [];
    events.on('episodes.changed', ({ ids }) => changed.push(ids));

    expect(await service.delete({ id: 2 })).toEqual({ id: 2 });

    expect((await service.list({})).map((entry) => entry.id)).toEqual([1]);
    expect(store.readSteps(2)).toEqual([]);
    expect(store.readFrames(2, 'cam_high')).toEqual([]);
    expect(store.readInferences(2)).toEqual([]);
    expect(store.readSteps(1)).toHaveLength(25);
    expect(changed).toEqual([[2]]);
  });

  test('frames of deleted episode rejected', async () => {
    expect(await service.frames({ id: 1, tS: 0.2 })).toHaveLength(1);

    await service.delete({ id: 1 });

    await expect(service.frames({ id: 1, tS: 0.2 })).rejects.toThrow(/^episode 1 not found in .*: it may have been deleted, so refresh the list$/);
    await expect(service.telemetry({ id: 1 })).rejects.toBeInstanceOf(UserError);
  });

  test('delete rejects the episode being recorded', async () => {
    recording = [2];

    await expect(service.delete({ id: 2 })).rejects.toThrow('episode 2 is still being recorded: stop or discard the recording instead');
    expect((await service.list({})).map((entry) => entry.id)).toEqual([2, 1]);
  });

  test('delete rejects an unknown id', async () => {
    const outcome = service.delete({ id: 99 });

    await expect(outcome).rejects.toBeInstanceOf(UserError);
    await expect(outcome).rejects.toThrow(/^episode 99 not found in /);
  });
});
