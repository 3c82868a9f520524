import { describe, expect, it } from 'vitest';
import { ALOHA_JOINTS, ALOHA_JOINT_LIMITS, alohaRig } from '../rig/presets.js';
import { ARM_NAMES, type ArmName } from '../rig/rig-config.js';
import { followerTargets } from '../teleop/follower-targets.js';
import { bothArmPoses } from './arm-kinematics.js';
import { createScriptedOperator } from './operator-script.js';
import { createTableScene, judgeScene } from './table-scene.js';
import { MAX_SOLVE_SECONDS, SceneOperator } from './task-operator.js';

const rig = alohaRig(Object.fromEntries(ARM_NAMES.map((arm) => [arm, `/dev/null-${arm}`])) as Record<ArmName, string>);
const TICK_S = 1 / rig.fps;

/**
 * Runs teleop offline: each tick the followers move to the leader targets through the rig's
 * joint limits and step limit, as the control loop sends them. Returns the follower vector
 * after `seconds`.
 */
function teleop(operator: SceneOperator, fromS: number, seconds: number, follower: number[]): number[] {
  let state = follower;
  for (let t = fromS; t < fromS + seconds; t += TICK_S) {
    const leader = operator.leaderJointsAt(t);
    state = [...followerTargets(rig, 'left', leader.left, state.slice(0, 7)), ...followerTargets(rig, 'right', leader.right, state.slice(7))];
  }
  return state;
}

describe('SceneOperator', () => {
  it('reaches both targets within 5 s and holds', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
      const operator = new SceneOperator(createScriptedOperator(seed));
      const idleS = 3 + seed;
      const start = operator.leaderJointsAt(0);
      const beforeReset = teleop(operator, 0, idleS, [...start.left, ...start.right]);

      const scene = createTableScene(seed * 31);
      operator.solve(scene, idleS);
      const atFive = teleop(operator, idleS, 5, beforeReset);
      const poses = bothArmPoses(atFive);
      const verdict = judgeScene(scene, { left: poses.left.tip, right: poses.right.tip });
      expect(verdict.detail).toMatch(/left tip .*\(reached\); right tip .*\(reached\)/);

      const atEight = teleop(operator, idleS + 5, 3, atFive);
      const later = bothArmPoses(atEight);
      expect(judgeScene(scene, { left: later.left.tip, right: later.right.tip }).success).toBe(true);
    }
  });

  it('starts from the idle pose without a jump', () => {
    const operator = new SceneOperator(createScriptedOperator(4));
    const before = operator.leaderJointsAt(6);
    operator.solve(createTableScene(9), 6);
    expect(operator.leaderJointsAt(6)).toEqual(before);
  });

  it('stays within the joint limits', () => {
    const operator = new SceneOperator(createScriptedOperator(2));
    operator.solve(createTableScene(2), 1);
    for (let t = 1; t < 1 + MAX_SOLVE_SECONDS + 2; t += 0.05) {
      const pose = operator.leaderJointsAt(t);
      for (const side of [pose.left, pose.right]) {
        side.forEach((value, index) => {
          const limit = ALOHA_JOINT_LIMITS[ALOHA_JOINTS[index]!]!;
          expect(value).toBeGreaterThanOrEqual(limit.min);
          expect(value).toBeLessThanOrEqual(limit.max);
        });
      }
    }
  });

  it('repeats exactly for the same scene seed', () => {
    const run = (): number[] => {
      const operator = new SceneOperator(createScriptedOperator(3));
      operator.solve(createTableScene(12), 2);
      return [2.5, 3.1, 4.7, 7].flatMap((t) => [...operator.leaderJointsAt(t).left, ...operator.leaderJointsAt(t).right]);
    };
    expect(run()).toEqual(run());
  });
});
