import type { ArmConfig, RigConfig, Side } from './rig-config.js';
import { jointToRaw, rawToJoint } from './calibration.js';
import { GRIPPER_JOINT } from './rig-config.js';

/**
 * Order of one side's values inside the state and action vectors: the arm joints in motor
 * order, then the gripper. Returns indices into the arm's motor list.
 */
export function armValueOrder(arm: ArmConfig): number[] {
  const joints = arm.motors.map((motor, index) => ({ motor, index }));
  const armJoints = joints.filter(({ motor }) => motor.joint !== GRIPPER_JOINT).map(({ index }) => index);
  const gripper = joints.filter(({ motor }) => motor.joint === GRIPPER_JOINT).map(({ index }) => index);
  return [...armJoints, ...gripper];
}

/** Names of the state and action vector entries: [left joints, left gripper, right joints, right gripper]. */
export function vectorNames(rig: RigConfig): string[] {
  const names: string[] = [];
  for (const side of ['left', 'right'] as const) {
    const arm = rig.arms[`${side}_follower`];
    for (const index of armValueOrder(arm)) names.push(`${side}_${arm.motors[index]!.joint}`);
  }
  return names;
}

/** Offset of a side's first value in the state and action vectors. */
export function sideOffset(rig: RigConfig, side: Side): number {
  return side === 'left' ? 0 : rig.arms.left_follower.motors.length;
}

export function vectorSize(rig: RigConfig): number {
  return rig.arms.left_follower.motors.length + rig.arms.right_follower.motors.length;
}

/** Converts an arm's raw positions (motor order) into its slice of the state vector (vector order). */
export function rawToVector(arm: ArmConfig, raw: ArrayLike<number>): number[] {
  return armValueOrder(arm).map((motorIndex) => rawToJoint(raw[motorIndex]!, arm.motors[motorIndex]!));
}

/** Converts an arm's slice of an action vector (vector order) into raw goal positions (motor order). */
export function vectorToRaw(arm: ArmConfig, values: ArrayLike<number>): Int32Array {
  const raw = new Int32Array(arm.motors.length);
  armValueOrder(arm).forEach((motorIndex, slot) => {
    raw[motorIndex] = jointToRaw(values[slot]!, arm.motors[motorIndex]!);
  });
  return raw;
}

/** Reorders per-motor readings (motor order) into vector order. */
export function motorToVectorOrder(arm: ArmConfig, values: ArrayLike<number>): number[] {
  return armValueOrder(arm).map((motorIndex) => values[motorIndex]!);
}
