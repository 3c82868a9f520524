import { describe, expect, it } from 'vitest';
import { ALOHA_JOINTS, ALOHA_JOINT_LIMITS } from '../rig/presets.js';
import { createScriptedOperator } from './operator-script.js';

const SAMPLE_TIMES = Array.from({ length: 1200 }, (_, index) => index * 0.25);

describe('scripted operator', () => {
  it('repeats exactly for the same seed', () => {
    const first = createScriptedOperator(11);
    const second = createScriptedOperator(11);
    for (const t of [0, 1.5, 42, 300]) expect(first.leaderJointsAt(t)).toEqual(second.leaderJointsAt(t));
  });

  it('differs between seeds', () => {
    expect(createScriptedOperator(1).leaderJointsAt(3)).not.toEqual(createScriptedOperator(2).leaderJointsAt(3));
  });

  it('stays within the joint limits', () => {
    const operator = createScriptedOperator(5);
    for (const t of SAMPLE_TIMES) {
      const pose = operator.leaderJointsAt(t);
      for (const side of [pose.left, pose.right]) {
        expect(side).toHaveLength(7);
        side.forEach((value, index) => {
          const limit = ALOHA_JOINT_LIMITS[ALOHA_JOINTS[index]!]!;
          expect(value).toBeGreaterThanOrEqual(limit.min);
          expect(value).toBeLessThanOrEqual(limit.max);
        });
      }
    }
  });

  it('opens and closes both grippers', () => {
    const operator = createScriptedOperator(5);
    const grippers = SAMPLE_TIMES.map((t) => operator.leaderJointsAt(t)).flatMap((pose) => [pose.left[6]!, pose.right[6]!]);
    expect(Math.min(...grippers)).toBe(0);
    expect(Math.max(...grippers)).toBe(1);
  });

  it('moves smoothly', () => {
    const operator = createScriptedOperator(9);
    const dt = 0.02;
    for (const t of SAMPLE_TIMES) {
      const now = operator.leaderJointsAt(t).left;
      const next = operator.leaderJointsAt(t + dt).left;
      now.forEach((value, index) => expect(Math.abs(next[index]! - value) / dt).toBeLessThan(1.2));
    }
  });
});
