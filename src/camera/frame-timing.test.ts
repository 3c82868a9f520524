import { describe, expect, it } from 'vitest';
import { FrameTimingCounter } from './frame-timing.js';

const PERIOD_NS = 1e9 / 30;

/** Arrival times from gaps given in frame periods, starting at 1 s. */
function arrivals(gapsInPeriods: number[]): bigint[] {
  const times = [1_000_000_000n];
  for (const gap of gapsInPeriods) times.push(times[times.length - 1]! + BigInt(Math.round(gap * PERIOD_NS)));
  return times;
}

function count(gapsInPeriods: number[]): ReturnType<FrameTimingCounter['snapshot']> {
  const counter = new FrameTimingCounter(30);
  for (const tNs of arrivals(gapsInPeriods)) counter.add(tNs);
  return counter.snapshot();
}

describe('FrameTimingCounter', () => {
  it('counts a steady stream without drops', () => {
    const stats = count(Array(59).fill(1));
    expect(stats).toEqual({ frames: 60, dropped: 0, late: 0, fps: 30 });
  });

  it('counts missing periods as drops', () => {
    // Gaps of 2, 3 and 1.6 periods miss 1, 2 and 1 frames.
    const stats = count([1, 2, 1, 3, 1, 1.6]);
    expect(stats.frames).toBe(7);
    expect(stats.dropped).toBe(4);
    expect(stats.late).toBe(0);
  });

  it('counts late frames below the drop gap', () => {
    const stats = count([1, 1.3, 0.7, 1.5, 0.5, 1.24]);
    expect(stats.late).toBe(2);
    expect(stats.dropped).toBe(0);
  });

  it('measures the rate from arrival times', () => {
    // 10 frames over 9 gaps of 1/15 s: a 30 fps camera delivering 15 fps.
    const stats = count(Array(9).fill(2));
    expect(stats.fps).toBe(15);
    expect(stats.dropped).toBe(9);
  });

  it('reports 0 fps for a single frame', () => {
    expect(count([])).toEqual({ frames: 1, dropped: 0, late: 0, fps: 0 });
  });
});
