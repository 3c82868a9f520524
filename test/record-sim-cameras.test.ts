import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { SIM_CAMERA_NAMES } from '../src/sim/sim-cameras.js';
import { EpisodeStore } from '../src/store/episode-store.js';
import { runCli } from './cli-run.js';

const SECONDS = 3;

interface PrintedEpisode {
  id: number;
  task: string;
  outcome: string;
  verdictDetail: string;
  cameras: Record<string, { frames: number; dropped: number; late: number; fps: number }>;
}

describe('record --sim with cameras and the table task', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rdvla-record-cameras-'));
  const db = path.join(dir, 'episodes.db');
  let printed: PrintedEpisode;

  beforeAll(async () => {
    const result = await runCli(['record', '--sim', '--seed', '4', '--db', db, '--seconds', String(SECONDS), '--json'], { timeoutMs: 90_000 });
    expect(result.stderr).not.toMatch(/rdvla: /);
    expect(result.code).toBe(0);
    printed = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as PrintedEpisode;
  }, 120_000);

  it('stores the scene task and the verdict as outcome', async () => {
    expect(printed.task).toMatch(/^move the left gripper to the (red|green|blue|yellow) target and the right gripper to the (red|green|blue|yellow) target$/);
    expect(printed.verdictDetail).toMatch(/^left tip .* m from the .* target/);
    expect(printed.outcome).toBe(printed.verdictDetail.includes('(not reached)') ? 'failure' : 'success');

    const store = EpisodeStore.open(db, { readonly: true });
    const episode = store.getEpisode(printed.id)!;
    store.close();
    expect(episode.task).toBe(printed.task);
    expect(episode.outcome).toBe(printed.outcome);
  });

  it('stores frames of three cameras with increasing timestamps', async () => {
    const store = EpisodeStore.open(db, { readonly: true });
    const steps = store.readSteps(printed.id);
    const stats = store.readCameraStats(printed.id);
    const byCamera = Object.fromEntries(SIM_CAMERA_NAMES.map((camera) => [camera, store.readFrames(printed.id, camera)]));
    store.close();

    // 30 fps over the episode's span (3 s, longer when a busy machine skips ticks); a loaded
    // machine may drop some frames, but most must arrive.
    const spanS = Number(steps.at(-1)!.tNs - steps[0]!.tNs) / 1e9;
    for (const camera of SIM_CAMERA_NAMES) {
      const frames = byCamera[camera]!;
      expect(frames.length).toBeGreaterThan(45);
      expect(frames.length).toBeLessThanOrEqual(Math.ceil((spanS + 0.2) * 30) + 2);
      expect(frames.map((frame) => frame.index)).toEqual(frames.map((_, index) => index));
      for (let index = 1; index < frames.length; index++) expect(frames[index]!.tNs > frames[index - 1]!.tNs).toBe(true);
      // Frames and steps share the monotonic clock, so the frames fall within the steps' span.
      expect(frames[0]!.tNs > steps[0]!.tNs - 100_000_000n).toBe(true);
      expect(frames.at(-1)!.tNs < steps.at(-1)!.tNs + 100_000_000n).toBe(true);
      expect(stats[camera]).toMatchObject({ fps: 30, width: 320, height: 240, frames: frames.length });
      expect(printed.cameras[camera]!.frames).toBe(frames.length);
    }

    const image = await sharp(byCamera.cam_high![0]!.jpeg).metadata();
    expect([image.format, image.width, image.height]).toEqual(['jpeg', 320, 240]);
  });

  it('shows the stored frames per camera', async () => {
    const output = await runCli(['episodes', 'show', String(printed.id), '--db', db, '--json']);
    expect(output.code, output.stderr).toBe(0);
    const detail = JSON.parse(output.stdout) as { frames: Record<string, { count: number; dropped: number; late: number; fps: number }> };
    expect(Object.keys(detail.frames).sort()).toEqual([...SIM_CAMERA_NAMES].sort());
    for (const camera of SIM_CAMERA_NAMES) expect(detail.frames[camera]!.count).toBe(printed.cameras[camera]!.frames);
  });
});
