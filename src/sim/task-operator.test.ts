import { describe, expect, it } from 'vitest';
import { ALOHA_JOINTS, ALOHA_JOINT_LIMITS, alohaRig } from '../rig/presets.js';
import { ARM_NAMES, type ArmName } from '../rig/rig-config.js';
import { followerTargets } from '../teleop/follower-targets.js';
import { ARM_GEOMETRY, bothArmPoses } from './arm-kinematics.js';
import { createScriptedOperator } from './operator-script.js';
import { createTableScene, judgeScene } from './table-scene.js';
import { HOMING_SECONDS, MAX_SOLVE_SECONDS, SceneOperator, homePose } from './task-operator.js';

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
  it('reaches both targets and holds', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
      const operator = new SceneOperator(createScriptedOperator(seed));
      const idleS = 3 + seed;
      const start = operator.leaderJointsAt(0);
      const beforeReset = teleop(operator, 0, idleS, [...start.left, ...start.right]);

      const scene = createTableScene(seed * 31);
      operator.solve(scene, idleS);
      const afterSolve = teleop(operator, idleS, HOMING_SECONDS + 5, beforeReset);
      const poses = bothArmPoses(afterSolve);
      const verdict = judgeScene(scene, { left: poses.left.tip, right: poses.right.tip });
      expect(verdict.detail).toMatch(/left tip .*\(reached\); right tip .*\(reached\)/);

      const afterHold = teleop(operator, idleS + HOMING_SECONDS + 5, 3, afterSolve);
      const later = bothArmPoses(afterHold);
      expect(judgeScene(scene, { left: later.left.tip, right: later.right.tip }).success).toBe(true);
    }
  });

  it('homes without a jump first', () => {
    const operator = new SceneOperator(createScriptedOperator(4));
    const before = operator.leaderJointsAt(6);
    const scene = createTableScene(9);
    const home = operator.solve(scene, 6);
    expect(home).toEqual(homePose(9));
    expect(operator.leaderJointsAt(6)).toEqual(before);
    for (const side of ['left', 'right'] as const) {
      operator.leaderJointsAt(6 + HOMING_SECONDS)[side].forEach((value, index) => expect(value).toBeCloseTo(home[side][index]!, 12));
    }
  });

  it('home pose by seed', () => {
    const first = homePose(1);
    expect(homePose(1)).toEqual(first);
    expect(homePose(2)).not.toEqual(first);
    const poses = bothArmPoses([...first.left, ...first.right]);
    for (const side of ['left', 'right'] as const) {
      const base = ARM_GEOMETRY.bases[side];
      const tip = poses[side].tip;
      expect(Math.abs(tip[0] - base[0])).toBeLessThan(0.05);
      expect(tip[1] - base[1]).toBeGreaterThan(0.18);
      expect(tip[1] - base[1]).toBeLessThan(0.32);
      expect(tip[2]).toBeGreaterThan(0.13);
      expect(tip[2]).toBeLessThan(0.27);
      expect(first[side][6]).toBe(1);
    }
  });

  it('stays within the joint limits', () => {
    const operator = new SceneOperator(createScriptedOperator(2));
    operator.solve(createTableScene(2), 1);
    for (let t = 1; t < 1 + HOMING_SECONDS + MAX_SOLVE_SECONDS + 2; t += 0.05) {
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
