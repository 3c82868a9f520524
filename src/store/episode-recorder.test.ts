import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { sleep } from '../common/clock.js';
import { UserError } from '../common/errors.js';
import { EpisodeRecorder } from './episode-recorder.js';
import { EpisodeStore } from './episode-store.js';
import { bytesOf, sampleMeta, sampleStep } from './test-support/sample-episode.js';

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rdvla-recorder-'));
  path = join(dir, 'episodes.db');
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(5);
}

function readEpisode(id: number) {
  const store = EpisodeStore.open(path, { readonly: true });
  try {
    return {
      episode: store.getEpisode(id)!,
      steps: store.readSteps(id),
      frames: store.readFrames(id),
      inferences: store.readInferences(id),
      cameras: store.readCameraStats(id),
    };
  } finally {
    store.close();
  }
}

test('recorded rows round-trip bit-exact', async () => {
  const recorder = await EpisodeRecorder.start(path, sampleMeta({ kind: 'rollout', policy: { depth: 12 } }), {
    flushIntervalMs: 10,
  });
  const reused = new Float32Array(14);
  for (let i = 0; i < 120; i++) {
    const step = sampleStep(i);
    // The caller may overwrite its arrays after addStep returns.
    reused.set(step.observationState);
    expect(recorder.addStep({ ...step, observationState: reused })).toBe(i);
    reused.fill(0);
    if (i % 40 === 0) await sleep(15);
  }
  expect(recorder.addFrame({ camera: 'cam_high', tNs: 7n, jpeg: new Uint8Array([0xff, 0xd8, 9]), width: 640, height: 480 })).toBe(0);
  expect(recorder.addFrame({ camera: 'cam_high', tNs: 40n, jpeg: new Uint8Array([0xff, 0xd8, 10]), width: 640, height: 480 })).toBe(1);
  expect(recorder.addFrame({ camera: 'cam_low', tNs: 8n, jpeg: new Uint8Array([0xff]), width: 640, height: 480 })).toBe(0);
  const inference = { tNs: 9n, stepIndex: 4, kStar: 6, horizon: 8, trace: [0.5, 0.002], timings: { head: 14.5 }, waitedTicks: 0 };
  expect(recorder.addInference(inference)).toBe(0);
  recorder.setCameraStats('cam_high', { fps: 30, width: 640, height: 480, frames: 2, dropped: 0, late: 1 });

  const written = await recorder.stop({ endNs: 1_000_000_000_000n + 3_000_000_000n, outcome: 'failure' });
  const { episode, steps, frames, inferences, cameras } = readEpisode(recorder.episodeId);

  expect(written).toBe(120);
  expect(episode.incomplete).toBe(false);
  expect(episode.outcome).toBe('failure');
  expect(episode.stepCount).toBe(120);
  expect(episode.durationS).toBe(3);
  expect(episode.policy).toEqual({ depth: 12 });
  expect(steps.map((step) => step.index)).toEqual(Array.from({ length: 120 }, (_, i) => i));
  for (const step of steps) {
    const expected = sampleStep(step.index);
    expect(step.tNs).toBe(expected.tNs);
    expect(bytesOf(step.observationState)).toEqual(bytesOf(expected.observationState));
    expect(bytesOf(step.action)).toEqual(bytesOf(expected.action));
    expect(bytesOf(step.followerVelocity)).toEqual(bytesOf(expected.followerVelocity));
    expect(bytesOf(step.followerCurrent)).toEqual(bytesOf(expected.followerCurrent));
    expect([step.periodMs, step.latenessMs, step.busMs]).toEqual([expected.periodMs, expected.latenessMs, expected.busMs]);
  }
  expect(frames.map((frame) => [frame.camera, frame.index, frame.tNs, [...frame.jpeg]])).toEqual([
    ['cam_high', 0, 7n, [0xff, 0xd8, 9]],
    ['cam_high', 1, 40n, [0xff, 0xd8, 10]],
    ['cam_low', 0, 8n, [0xff]],
  ]);
  expect(inferences).toEqual([{ ...inference, index: 0 }]);
  expect(cameras).toEqual({ cam_high: { fps: 30, width: 640, height: 480, frames: 2, dropped: 0, late: 1 } });
});

test('addStep after stop throws', async () => {
  const recorder = await EpisodeRecorder.start(path, sampleMeta());
  await recorder.stop();
  expect(() => recorder.addStep(sampleStep(0))).toThrow('recorder is stopped');
});

test('start on a file that is not SQLite', async () => {
  writeFileSync(path, 'not a database\n'.repeat(300));
  await expect(EpisodeRecorder.start(path, sampleMeta())).rejects.toThrow(
    new UserError(`${path} is not an RD-VLA episode database (file is not a database): pass another --db path or move the file away`),
  );
});

test('disk full keeps the committed steps', async () => {
  const errors: Error[] = [];
  const recorder = await EpisodeRecorder.start(path, sampleMeta(), {
    flushIntervalMs: 60_000,
    maxPageCount: 40,
    onError: (error) => errors.push(error),
  });

  // Flush by hand, 50 steps at a time, until the capped database is full.
  let index = 0;
  while (!recorder.error) {
    for (let i = 0; i < 50; i++) index = recorder.addStep(sampleStep(index)) + 1;
    const before = recorder.stepsWritten;
    recorder.flush();
    await waitUntil(() => recorder.stepsWritten > before || recorder.error !== undefined);
  }
  const saved = recorder.stepsWritten;
  const expected = `episode ${recorder.episodeId}: writing steps failed: database or disk is full; steps up to ${saved} are saved, free disk space and record again`;

  expect(saved).toBeGreaterThan(0);
  expect(saved % 50).toBe(0);
  expect(errors).toEqual([new UserError(expected)]);
  expect(errors[0]).toBeInstanceOf(UserError);
  expect(() => recorder.addStep(sampleStep(index))).toThrow(expected);
  await expect(recorder.stop()).rejects.toThrow(expected);

  const { episode, steps } = readEpisode(recorder.episodeId);
  expect(episode.incomplete).toBe(true);
  expect(episode.stepCount).toBe(saved);
  expect(steps.map((step) => step.index)).toEqual(Array.from({ length: saved }, (_, i) => i));
  expect(bytesOf(steps[saved - 1]!.action)).toEqual(bytesOf(sampleStep(saved - 1).action));
});
