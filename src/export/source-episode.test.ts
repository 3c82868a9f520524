import { expect, test } from 'vitest';
import type { EpisodeSummary, StepRecord } from '../store/episode-types.js';
import { type SourceEpisode, alignToFps, estimatedRowsAtFps } from './source-episode.js';

const START_NS = 7_000_000_000n;

/** Builds a 50 Hz episode with steps on time, except the last one, `lastEarlyNs` early. */
function episodeOf(stepCount: number, lastEarlyNs: bigint): SourceEpisode {
  const steps = Array.from({ length: stepCount }, (_, index): StepRecord => ({
    index,
    tNs: START_NS + BigInt(index) * 20_000_000n - (index === stepCount - 1 ? lastEarlyNs : 0n),
    observationState: Float32Array.of(index),
    action: Float32Array.of(index),
    followerVelocity: null,
    followerCurrent: null,
    periodMs: 20,
    latenessMs: 0,
    busMs: 1,
  }));
  const summary: EpisodeSummary = {
    id: 1,
    task: 'fold the towel',
    kind: 'teleop',
    fps: 50,
    startedAt: '2026-03-01T10:00:00Z',
    endedAt: '2026-03-01T10:00:10Z',
    outcome: 'success',
    incomplete: false,
    stepCount,
    durationS: stepCount / 50,
  };
  return { summary, vectorNames: ['value_0'], robotType: null, steps, cameras: [], inferences: [] };
}

test('50 fps keeps an early last step', () => {
  const aligned = alignToFps(episodeOf(500, 1_000_000n), 50);

  expect(aligned.length).toBe(500);
  expect([...aligned.stepRows]).toEqual(Array.from({ length: 500 }, (_, i) => i));
  expect(aligned.seconds).toBe(10);
});

test('30 fps ends before the last step', () => {
  // 300 frames end at 9.967 s; 10.0 s lies 20 ms after the last step at 9.98 s.
  const aligned = alignToFps(episodeOf(500, 1_000_000n), 30);

  expect(aligned.length).toBe(300);
  expect(aligned.stepRows[299]).toBe(498);
});

test('30 fps holds a close last step', () => {
  // 504 steps end at 10.06 s; the 30 fps time 10.0667 s is 6.7 ms after it, 10.1 s is 40 ms after.
  const aligned = alignToFps(episodeOf(504, 0n), 30);

  expect(aligned.length).toBe(303);
  expect(aligned.stepRows[302]).toBe(503);
});

test('estimate matches on-time rows', () => {
  for (const [steps, fps] of [[500, 50], [500, 30], [504, 30], [1500, 30], [1, 30], [77, 15]] as const) {
    expect(estimatedRowsAtFps(episodeOf(steps, 0n).summary, fps)).toBe(alignToFps(episodeOf(steps, 0n), fps).length);
  }
});
