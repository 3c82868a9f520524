import { ALOHA_JOINTS, ALOHA_JOINT_LIMITS } from '../rig/presets.js';
import type { Side } from '../rig/rig-config.js';
import { type Vec3, addScaled, cross, rotate } from './vec3.js';

/**
 * Geometry of the simulated ALOHA-like arms, in metres. Both bases stand on the near edge of
 * the table (y = 0) and face +y, with the shoulder `shoulderHeight` above the base.
 */
export const ARM_GEOMETRY = {
  bases: { left: [-0.25, 0, 0], right: [0.25, 0, 0] } as Record<Side, Vec3>,
  shoulderHeight: 0.12,
  upperArm: 0.3,
  forearm: 0.3,
  /** Wrist axis to the fingertips. */
  gripper: 0.15,
} as const;

const UP: Vec3 = [0, 0, 1];

/** Points of one arm from forward kinematics, with the gripper's frame at the wrist. */
export interface ArmPose {
  base: Vec3;
  shoulder: Vec3;
  elbow: Vec3;
  wrist: Vec3;
  /** The fingertips' centre, the point the task puts on a target. */
  tip: Vec3;
  /** Unit vector from the wrist to the tip. */
  gripperDirection: Vec3;
  /** Unit vector of the wrist pitch axis; the fingers open along it. */
  pitchAxis: Vec3;
  /** Unit vector on the back of the hand, perpendicular to the other two. */
  handTop: Vec3;
  /** Gripper opening, 0 closed .. 1 open. */
  gripper: number;
}

/** Unit vector in the arm's vertical plane, `angle` radians from straight up toward `forward`. */
function planeDirection(forward: Vec3, angle: number): Vec3 {
  return addScaled(addScaled([0, 0, 0], forward, Math.sin(angle)), UP, Math.cos(angle));
}

/**
 * Computes an arm's pose from its joint values in vector order (waist, shoulder, elbow,
 * forearm_roll, wrist_angle, wrist_rotate, then the gripper opening). Waist 0 faces +y and
 * positive waist turns toward -x. At shoulder 0 the upper arm is vertical, and positive
 * values lean it forward. At elbow 0 the forearm is at a right angle to the upper arm,
 * pointing forward. Wrist angle 0 continues the forearm's line, and positive values pitch
 * the gripper down. Forearm roll turns the wrist's pitch axis about the forearm. Wrist
 * rotate spins the fingers about their own axis, so it moves no point.
 */
export function armPose(side: Side, joints: ArrayLike<number>): ArmPose {
  const [waist, shoulder, elbow, forearmRoll, wristAngle] = [0, 1, 2, 3, 4].map((index) => joints[index] ?? 0) as [number, number, number, number, number];
  const base = ARM_GEOMETRY.bases[side];
  const forward: Vec3 = [-Math.sin(waist), Math.cos(waist), 0];
  const pitchAxisAtRest = cross(UP, forward);

  const shoulderPoint = addScaled(base, UP, ARM_GEOMETRY.shoulderHeight);
  const elbowPoint = addScaled(shoulderPoint, planeDirection(forward, shoulder), ARM_GEOMETRY.upperArm);
  const forearmDirection = planeDirection(forward, shoulder + elbow + Math.PI / 2);
  const wrist = addScaled(elbowPoint, forearmDirection, ARM_GEOMETRY.forearm);

  const pitchAxis = rotate(pitchAxisAtRest, forearmDirection, forearmRoll);
  const gripperDirection = rotate(forearmDirection, pitchAxis, wristAngle);
  return {
    base,
    shoulder: shoulderPoint,
    elbow: elbowPoint,
    wrist,
    tip: addScaled(wrist, gripperDirection, ARM_GEOMETRY.gripper),
    gripperDirection,
    pitchAxis,
    handTop: cross(gripperDirection, pitchAxis),
    gripper: joints[6] ?? 0,
  };
}

/**
 * Solves the six arm joints that put the tip at `target` with the gripper pointing straight
 * down, elbow up, forearm roll and wrist rotate at 0. Returns null when the point is out of
 * reach or a joint would leave its limits.
 */
export function solveTipDown(side: Side, target: Vec3): number[] | null {
  const base = ARM_GEOMETRY.bases[side];
  const dx = target[0] - base[0];
  const dy = target[1] - base[1];
  const waist = Math.atan2(-dx, dy);
  const reach = Math.hypot(dx, dy);
  const rise = target[2] + ARM_GEOMETRY.gripper - ARM_GEOMETRY.shoulderHeight;

  const { upperArm, forearm } = ARM_GEOMETRY;
  const distance = Math.hypot(reach, rise);
  if (distance >= upperArm + forearm - 1e-6 || distance <= Math.abs(upperArm - forearm) + 1e-6) return null;

  // Triangle shoulder-elbow-wrist: the upper arm leans `inner` less than the line to the wrist.
  const lineAngle = Math.atan2(reach, rise);
  const inner = Math.acos((upperArm ** 2 + distance ** 2 - forearm ** 2) / (2 * upperArm * distance));
  const elbowInterior = Math.acos((upperArm ** 2 + forearm ** 2 - distance ** 2) / (2 * upperArm * forearm));
  const shoulder = lineAngle - inner;
  const forearmAngle = shoulder + Math.PI - elbowInterior;
  const joints = [waist, shoulder, Math.PI / 2 - elbowInterior, 0, Math.PI - forearmAngle, 0];

  const withinLimits = joints.every((value, index) => {
    const limit = ALOHA_JOINT_LIMITS[ALOHA_JOINTS[index]!]!;
    return value >= limit.min && value <= limit.max;
  });
  return withinLimits ? joints : null;
}

/** Returns the two arms' poses from a 14-value vector: [left 6 joints, left gripper, right 6 joints, right gripper]. */
export function bothArmPoses(vector: ArrayLike<number>): Record<Side, ArmPose> {
  const values = Array.from(vector);
  return { left: armPose('left', values.slice(0, 7)), right: armPose('right', values.slice(7, 14)) };
}
