import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../src/common/errors.js';
import { RigConnection } from '../src/rig/rig-connection.js';
import { startSimRig, type SimRig } from '../src/sim/sim-rig.js';
import { EpisodeStore } from '../src/store/episode-store.js';
import { recordEpisodes } from '../src/teleop/record-episodes.js';

describe('rig faults on the simulated rig', () => {
  let sim: SimRig | null = null;

  afterEach(async () => {
    await sim?.stop();
    sim = null;
  });

  it('names a motor that does not respond', async () => {
    sim = await startSimRig({});
    await sim.injectFault('left_follower', 4, { kind: 'silent' });
    const opening = RigConnection.open(sim.config);
    await expect(opening).rejects.toBeInstanceOf(UserError);
    await expect(opening).rejects.toThrow(/^motor 4 \(forearm_roll\) of left_follower on .* did not respond to a ping: check its power, cable and id/);
  });

  it('keeps recorded steps when a motor fails mid-episode', async () => {
    sim = await startSimRig({});
    const db = path.join(mkdtempSync(path.join(tmpdir(), 'rdvla-fault-')), 'episodes.db');
    const running = recordEpisodes({ rig: sim.config, dbPath: db, task: 'fault', seconds: 30, episodes: 1, resetSeconds: 0 });
    const failure = running.then(
      () => null,
      (error: unknown) => error,
    );

    await new Promise((resolve) => setTimeout(resolve, 2000));
    await sim.injectFault('right_follower', 2, { kind: 'silent' });
    const error = await failure;

    expect(error).toBeInstanceOf(UserError);
    expect(String(error)).toMatch(/no status packet from motors 2, 3, 4, 5, 6, 7 on .*right_follower after 3 tries: check power, wiring and baud rate, starting with motor 2$/);
    const store = EpisodeStore.open(db, { readonly: true });
    const [episode] = store.listEpisodes();
    const steps = store.readSteps(episode!.id);
    store.close();
    expect(steps.length).toBeGreaterThan(50);
    expect(episode!.stepCount).toBe(steps.length);
    steps.forEach((step, index) => expect(step.index).toBe(index));
  });
});

describe('recording on a full disk', () => {
  it('stops with the message and keeps committed steps', async () => {
    const sim = await startSimRig({ cameras: false });
    try {
      const db = path.join(mkdtempSync(path.join(tmpdir(), 'rdvla-full-')), 'episodes.db');
      EpisodeStore.open(db).close();
      const recording = recordEpisodes({ rig: sim.config, dbPath: db, task: 'full', seconds: 30, episodes: 1, resetSeconds: 0, maxPageCount: 24 });
      await expect(recording).rejects.toThrow(/^episode 1: writing steps failed: database or disk is full; steps up to \d+ are saved, free disk space and record again$/);

      const store = EpisodeStore.open(db, { readonly: true });
      const [episode] = store.listEpisodes();
      const steps = store.readSteps(episode!.id);
      store.close();
      expect(episode!.incomplete).toBe(true);
      expect(steps.length).toBeGreaterThan(0);
      steps.forEach((step, index) => expect(step.index).toBe(index));
    } finally {
      await sim.stop();
    }
  });
});

describe('episode database paths', () => {
  it('rejects a folder as the database', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'rdvla-folder-'));
    expect(() => EpisodeStore.open(folder)).toThrow(UserError);
    expect(() => EpisodeStore.open(folder)).toThrow(/is a folder, not an episode database/);
  });
});
