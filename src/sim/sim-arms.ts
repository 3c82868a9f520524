import { monotonicNs } from '../common/clock.js';
import { jointToRaw } from '../rig/calibration.js';
import { ALOHA_JOINTS } from '../rig/presets.js';
import { ARM_NAMES, type ArmConfig, type ArmName, type RigConfig, sideOf } from '../rig/rig-config.js';
import type { LeaderOperator } from './operator-script.js';
import { SimBus } from './sim-bus.js';
import { XSeriesServo } from './xseries-servo.js';

export interface SimArmsOptions {
  baudRate: number;
  operator: LeaderOperator;
  /** Monotonic time the operator's script starts at; defaults to now. */
  startNs?: bigint;
}

/**
 * Builds one simulated bus per arm of `rig`, with its motors configured as a set-up rig
 * has them (IDs, baud rate, Return Delay Time). Leader motors follow the operator while
 * their torque is off; followers start at the operator's first pose, so teleop starts
 * without a jump.
 */
export function buildSimArms(rig: RigConfig, options: SimArmsOptions): Record<ArmName, SimBus> {
  const startNs = options.startNs ?? monotonicNs();
  const buses = {} as Record<ArmName, SimBus>;
  for (const name of ARM_NAMES) {
    buses[name] = new SimBus({ baudRate: options.baudRate, servos: armServos(name, rig.arms[name], options, startNs) });
  }
  return buses;
}

function armServos(name: ArmName, arm: ArmConfig, options: SimArmsOptions, startNs: bigint): XSeriesServo[] {
  const side = sideOf(name);
  const isLeader = name.endsWith('_leader');
  const firstPose = options.operator.leaderJointsAt(0)[side];

  return arm.motors.map((motor) => {
    const jointIndex = ALOHA_JOINTS.indexOf(motor.joint as (typeof ALOHA_JOINTS)[number]);
    const poseValue = (pose: number[]): number => (jointIndex >= 0 ? (pose[jointIndex] ?? 0) : 0);
    const heldPosition = isLeader
      ? (nowNs: bigint) => jointToRaw(poseValue(options.operator.leaderJointsAt(Number(nowNs - startNs) / 1e9)[side]), motor)
      : undefined;

    return new XSeriesServo({
      model: motor.model,
      id: motor.id,
      baudRate: options.baudRate,
      returnDelayUs: arm.returnDelayUs,
      initialPosition: jointToRaw(poseValue(firstPose), motor),
      heldPosition,
    });
  });
}
