import { describe, expect, it } from 'vitest';
import { alohaRig } from '../rig/presets.js';
import { clampAction, followerTargets } from './follower-targets.js';

const rig = alohaRig({ left_leader: 'a', left_follower: 'b', right_leader: 'c', right_follower: 'd' });

describe('follower targets', () => {
  it('passes small moves through unchanged', () => {
    const leader = [0.01, -0.02, 0.03, 0, 0, 0, 0.5];
    const previous = [0, 0, 0, 0, 0, 0, 0.45];
    expect(followerTargets(rig, 'left', leader, previous)).toEqual(leader);
  });

  it('limits the step per tick', () => {
    const targets = followerTargets(rig, 'right', [1, -1, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0]);
    expect(targets[0]).toBeCloseTo(0.08, 12);
    expect(targets[1]).toBeCloseTo(-0.08, 12);
    expect(targets[6]).toBeCloseTo(0.1, 12);
  });

  it('clamps to joint limits before stepping', () => {
    const targets = followerTargets(rig, 'left', [5, 0, 0, 0, 0, 0, 0], [1.58, 0, 0, 0, 0, 0, 0]);
    expect(targets[0]).toBe(1.6);
  });

  it('maps the gripper range', () => {
    const mapped = alohaRig({ left_leader: 'a', left_follower: 'b', right_leader: 'c', right_follower: 'd' });
    mapped.gripperMapping = { leaderClosed: 0.2, leaderOpen: 0.8, followerClosed: 0, followerOpen: 1 };
    const targets = followerTargets(mapped, 'left', [0, 0, 0, 0, 0, 0, 0.5], [0, 0, 0, 0, 0, 0, 0.5]);
    expect(targets[6]).toBeCloseTo(0.5, 12);
    const closed = followerTargets(mapped, 'left', [0, 0, 0, 0, 0, 0, 0.1], [0, 0, 0, 0, 0, 0, 0]);
    expect(closed[6]).toBe(0);
  });

  it('clamps a full action vector', () => {
    const action = [9, 0, 0, 0, 0, 0, 2, -9, 0, 0, 0, 0, 0, -1];
    const previous = new Array<number>(14).fill(0);
    const clamped = clampAction(rig, action, previous);
    expect(clamped[0]).toBeCloseTo(0.08, 12);
    expect(clamped[6]).toBeCloseTo(0.1, 12);
    expect(clamped[7]).toBeCloseTo(-0.08, 12);
    expect(clamped[13]).toBe(0);
  });
});
