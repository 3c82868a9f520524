import { describe, expect, it } from 'vitest';
import { ARM_GEOMETRY, armPose, solveTipDown } from './arm-kinematics.js';
import type { Vec3 } from './vec3.js';

function expectPoint(actual: Vec3, expected: Vec3): void {
  actual.forEach((value, axis) => expect(value).toBeCloseTo(expected[axis]!, 9));
}

describe('armPose', () => {
  it('puts the zero pose in an L facing forward', () => {
    const pose = armPose('left', [0, 0, 0, 0, 0, 0, 1]);
    expectPoint(pose.shoulder, [-0.25, 0, 0.12]);
    expectPoint(pose.elbow, [-0.25, 0, 0.42]);
    expectPoint(pose.wrist, [-0.25, 0.3, 0.42]);
    expectPoint(pose.tip, [-0.25, 0.45, 0.42]);
    expectPoint(pose.gripperDirection, [0, 1, 0]);
    expectPoint(pose.handTop, [0, 0, 1]);
    expect(pose.gripper).toBe(1);
  });

  it('turns the arm with the waist toward -x', () => {
    const pose = armPose('right', [Math.PI / 2, 0, 0, 0, 0, 0, 0]);
    expectPoint(pose.wrist, [0.25 - 0.3, 0, 0.42]);
    expectPoint(pose.tip, [0.25 - 0.45, 0, 0.42]);
  });

  it('pitches the gripper down with a positive wrist angle', () => {
    const pose = armPose('left', [0, 0, 0, 0, Math.PI / 2, 0, 0]);
    expectPoint(pose.tip, [-0.25, 0.3, 0.42 - 0.15]);
  });

  it('leans forward with the shoulder and bends with the elbow', () => {
    const pose = armPose('left', [0, Math.PI / 2, -Math.PI / 2, 0, 0, 0, 0]);
    expectPoint(pose.elbow, [-0.25, 0.3, 0.12]);
    expectPoint(pose.wrist, [-0.25, 0.6, 0.12]);
  });

  it('turns the wrist pitch sideways with the forearm roll', () => {
    const pose = armPose('left', [0, 0, 0, Math.PI / 2, Math.PI / 2, 0, 0]);
    // The pitch axis turns from -x about the forearm (+y) to point up, so the gripper bends toward -x.
    expectPoint(pose.pitchAxis, [0, 0, 1]);
    expectPoint(pose.tip, [-0.25 - 0.15, 0.3, 0.42]);
  });

  it('ignores the wrist rotate for points', () => {
    expect(armPose('left', [0.2, 0.1, 0.3, 0.1, 0.4, 1.5, 0]).tip).toEqual(armPose('left', [0.2, 0.1, 0.3, 0.1, 0.4, -1, 0]).tip);
  });
});

describe('solveTipDown', () => {
  const targets: Vec3[] = [
    [-0.3, 0.35, 0.02],
    [-0.05, 0.22, 0.1],
    [-0.45, 0.46, 0.02],
    [-0.1, 0.45, 0.05],
  ];

  it('reaches points on the table with the gripper down', () => {
    for (const target of targets) {
      const joints = solveTipDown('left', target);
      expect(joints).not.toBeNull();
      const pose = armPose('left', [...joints!, 1]);
      expectPoint(pose.tip, target);
      expectPoint(pose.gripperDirection, [0, 0, -1]);
      expect(pose.elbow[2]).toBeGreaterThan(pose.wrist[2]);
    }
  });

  it('mirrors for the right arm', () => {
    const joints = solveTipDown('right', [0.3, 0.35, 0.02])!;
    expectPoint(armPose('right', [...joints, 0]).tip, [0.3, 0.35, 0.02]);
  });

  it('returns null out of reach', () => {
    const far = ARM_GEOMETRY.upperArm + ARM_GEOMETRY.forearm + 0.1;
    expect(solveTipDown('left', [-0.25, far, 0.02])).toBeNull();
  });
});
