import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sleep } from '../common/clock.js';
import type { RolloutStatus } from './api.js';
import { createStudioService } from './studio-runtime.js';
import type { StudioService } from './studio-service.js';

const TASK = 'put the red cube in the bowl';

/** Resolves with the first 'rollout' event that is idle again. */
function rolloutFinished(service: StudioService): Promise<RolloutStatus> {
  return new Promise((resolve) => {
    const off = service.events.on('rollout', (status) => {
      if (status.state !== 'idle') return;
      off();
      resolve(status);
    });
  });
}

/** Waits until the recording contains `steps` steps. */
async function recordSteps(service: StudioService, steps: number): Promise<void> {
  while ((await service.recording.status()).steps < steps) await sleep(20);
}

describe('rollout start on the simulated rig with teleop running', () => {
  let dir: string;
  let service: StudioService;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdvla-rollout-service-'));
    service = await createStudioService({
      dbPath: join(dir, 'episodes.db'),
      rig: { sim: true },
      exportDir: join(dir, 'exports'),
      simOptions: { cameras: { width: 160, height: 120, fps: 10 }, seed: 3 },
    });
    expect(service.session.status().connected).toBe(true);
  });

  afterAll(async () => {
    await service?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('rollout rejects a running recording', async () => {
    await service.recording.start({ task: TASK });
    await recordSteps(service, 10);

    await expect(service.rollout.start({ policyDir: 'rdvla-tiny-sim', strategy: 'fixed', maxSeconds: 1 })).rejects.toThrow(
      'episode 1 is being recorded: stop the recording on the Record page before starting a rollout',
    );
    expect((await service.recording.status()).state).toBe('recording');
    expect(service.teleop.running).toBe(true);
    expect(service.session.activity).toBe('teleop');

    await service.recording.stop();
  });

  test('export runs while teleop drives the arms', async () => {
    expect(service.teleop.running).toBe(true);

    const result = await service.export.start({ format: 'aloha-hdf5', episodeIds: [1], outDir: join(dir, 'during-teleop') });

    expect(result).toEqual({ outDir: join(dir, 'during-teleop'), episodes: 1, format: 'aloha-hdf5', skipped: [] });
    expect(service.teleop.running).toBe(true);
  });

  test('rollout stops teleop first', async () => {
    expect(service.teleop.running).toBe(true);
    const finished = rolloutFinished(service);

    const started = await service.rollout.start({ policyDir: 'rdvla-tiny-sim', strategy: 'fixed', maxSeconds: 1 });

    expect(started.stoppedTeleop).toBe(true);
    expect(started.state).not.toBe('idle');
    expect(service.teleop.running).toBe(false);
    expect(service.session.activity).toBe('rollout');

    const last = await finished;
    expect(last.stoppedTeleop).toBe(true);
    expect(last.error).toBeNull();
    expect(service.session.activity).toBe('idle');
  });

  test('teleop starts again after the rollout', async () => {
    const status = await service.teleop.start();

    expect(status).toMatchObject({ running: true, activity: 'teleop' });
    expect(service.session.activity).toBe('teleop');
    await service.teleop.stop();
    expect(service.session.activity).toBe('idle');
  });

  test('rollout without teleop reports none stopped', async () => {
    const finished = rolloutFinished(service);

    const started = await service.rollout.start({ policyDir: 'rdvla-tiny-sim', strategy: 'fixed', maxSeconds: 1 });

    expect(started.stoppedTeleop).toBe(false);
    await finished;
  });
});
