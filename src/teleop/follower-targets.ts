import type { RigConfig, Side } from '../rig/rig-config.js';
import { GRIPPER_JOINT } from '../rig/rig-config.js';
import { armValueOrder, sideOffset } from '../rig/joint-layout.js';

/** Clamps a follower target to its joint limits, then to the per-tick step from the previous target. */
function limitTarget(rig: RigConfig, joint: string, value: number, previous: number): number {
  const limit = rig.jointLimits[joint]!;
  const bounded = Math.min(limit.max, Math.max(limit.min, value));
  const maxStep = joint === GRIPPER_JOINT ? rig.maxStepPerTick.gripper : rig.maxStepPerTick.joint;
  return previous + Math.min(maxStep, Math.max(-maxStep, bounded - previous));
}

function followerJoints(rig: RigConfig, side: Side): string[] {
  const arm = rig.arms[`${side}_follower`];
  return armValueOrder(arm).map((motorIndex) => arm.motors[motorIndex]!.joint);
}

/**
 * Maps one side's leader joint values to follower targets: gripper mapping, joint limits,
 * then the per-tick step limit. Values are in vector order (arm joints, then gripper) and
 * joint units (radians; gripper opening 0 closed .. 1 open).
 */
export function followerTargets(rig: RigConfig, side: Side, leader: ArrayLike<number>, previous: ArrayLike<number>): number[] {
  const mapping = rig.gripperMapping;
  return followerJoints(rig, side).map((joint, slot) => {
    let value = leader[slot]!;
    if (joint === GRIPPER_JOINT) {
      const opening = (value - mapping.leaderClosed) / (mapping.leaderOpen - mapping.leaderClosed);
      value = mapping.followerClosed + opening * (mapping.followerOpen - mapping.followerClosed);
    }
    return limitTarget(rig, joint, value, previous[slot]!);
  });
}

/** Clamps a whole action vector (both sides, e.g. from a policy) to the joint limits and the step limit. */
export function clampAction(rig: RigConfig, action: ArrayLike<number>, previous: ArrayLike<number>): number[] {
  const out = new Array<number>(action.length);
  for (const side of ['left', 'right'] as const) {
    const offset = sideOffset(rig, side);
    followerJoints(rig, side).forEach((joint, slot) => {
      out[offset + slot] = limitTarget(rig, joint, action[offset + slot]!, previous[offset + slot]!);
    });
  }
  return out;
}
