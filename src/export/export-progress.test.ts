import { expect, test } from 'vitest';
import { ProgressTracker, countOf, formatProgressLine } from './export-progress.js';
import type { ExportProgress } from './export-types.js';

test('tracker replaces estimates with exact counts', () => {
  let now = 0;
  const snapshots: ExportProgress[] = [];
  const tracker = new ProgressTracker([100, 50], (snapshot) => snapshots.push(snapshot), () => now);

  tracker.startEpisode(7, 90);
  now = 1000;
  tracker.episodeFrames(45);

  expect(snapshots.at(-1)).toEqual({ episodesDone: 0, episodesTotal: 2, framesDone: 45, framesTotal: 140, elapsedS: 1, framesPerSecond: 45, remainingS: 95 / 45, episodeId: 7 });

  tracker.episodeFrames(90);
  tracker.finishEpisode();
  expect(snapshots.at(-1)).toMatchObject({ episodesDone: 1, framesDone: 90, framesTotal: 140, episodeId: null });
});

test('tracker has no time left before frames', () => {
  const tracker = new ProgressTracker([10], undefined, () => 0);

  expect(tracker.snapshot().remainingS).toBeNull();
});

test('progress line shows bar, counts, rate and time left', () => {
  const line = formatProgressLine({ episodesDone: 3, episodesTotal: 10, framesDone: 500, framesTotal: 1000, elapsedS: 2, framesPerSecond: 250, remainingS: 72, episodeId: 4 }, 10);

  expect(line).toBe('[#####-----] 3/10 episodes, 500/1000 frames, 250 frames/s, 1:12 left');
});

test('progress line before the first frame', () => {
  const line = formatProgressLine({ episodesDone: 0, episodesTotal: 1, framesDone: 0, framesTotal: 0, elapsedS: 0, framesPerSecond: 0, remainingS: null, episodeId: null }, 4);

  expect(line).toBe('[----] 0/1 episodes, 0/0 frames, 0 frames/s, --:-- left');
});

test('counts take singular or plural', () => {
  expect(countOf(1, 'episode')).toBe('1 episode');
  expect(countOf(0, 'episode')).toBe('0 episodes');
  expect(countOf(2, 'episode')).toBe('2 episodes');
});
