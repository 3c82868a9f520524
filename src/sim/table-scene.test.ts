import { describe, expect, it } from 'vitest';
import { solveTipDown } from './arm-kinematics.js';
import { SUCCESS_RADIUS_M, TARGET_COLOURS, createTableScene, judgeScene, targetOf } from './table-scene.js';
import type { Vec3 } from './vec3.js';

const SEEDS = Array.from({ length: 40 }, (_, index) => index + 1);

describe('createTableScene', () => {
  it('repeats exactly for the same seed', () => {
    expect(createTableScene(7)).toEqual(createTableScene(7));
    expect(createTableScene(7)).not.toEqual(createTableScene(8));
  });

  it('places all four colours, two on each half', () => {
    for (const seed of SEEDS) {
      const scene = createTableScene(seed);
      expect(scene.targets.map((target) => target.colour).sort()).toEqual([...TARGET_COLOURS].sort());
      expect(scene.targets.filter((target) => target.x < 0)).toHaveLength(2);
      expect(targetOf(scene, scene.goals.left).x).toBeLessThan(0);
      expect(targetOf(scene, scene.goals.right).x).toBeGreaterThan(0);
    }
  });

  it('keeps every target within reach', () => {
    for (const seed of SEEDS) {
      const scene = createTableScene(seed);
      for (const target of scene.targets) {
        const side = target.x < 0 ? 'left' : 'right';
        expect(solveTipDown(side, [target.x, target.y, 0.02])).not.toBeNull();
        expect(solveTipDown(side, [target.x, target.y, 0.1])).not.toBeNull();
      }
    }
  });

  it('names both goals in the task text', () => {
    const scene = createTableScene(3);
    expect(scene.task).toBe(`move the left gripper to the ${scene.goals.left} target and the right gripper to the ${scene.goals.right} target`);
  });
});

describe('judgeScene', () => {
  const scene = createTableScene(5);
  const left = targetOf(scene, scene.goals.left);
  const right = targetOf(scene, scene.goals.right);
  const onRight: Vec3 = [right.x, right.y, 0.02];

  it('passes with both tips on their targets', () => {
    const verdict = judgeScene(scene, { left: [left.x + 0.03, left.y - 0.02, 0.03], right: onRight });
    expect(verdict.success).toBe(true);
    expect(verdict.detail).toContain(`left tip 0.036 m from the ${left.colour} target and 0.030 m above the table (reached)`);
  });

  it('fails with a tip just outside the radius', () => {
    const verdict = judgeScene(scene, { left: [left.x + SUCCESS_RADIUS_M + 0.001, left.y, 0.02], right: onRight });
    expect(verdict.success).toBe(false);
    expect(verdict.detail).toContain('left tip 0.041 m');
    expect(verdict.detail).toContain('(not reached)');
  });

  it('fails with a tip hovering above the target', () => {
    expect(judgeScene(scene, { left: [left.x, left.y, 0.2], right: onRight }).success).toBe(false);
  });

  it('fails with the arms on swapped goals', () => {
    const otherLeft = scene.targets.find((target) => target.x < 0 && target.colour !== scene.goals.left)!;
    expect(judgeScene(scene, { left: [otherLeft.x, otherLeft.y, 0.02], right: onRight }).success).toBe(false);
  });
});
