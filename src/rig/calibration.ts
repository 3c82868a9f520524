import type { Calibration, MotorConfig } from './rig-config.js';
import { GRIPPER_JOINT } from './rig-config.js';

/** Dynamixel X-series resolution: 4096 ticks per turn, 2048 at the middle of the range. */
export const TICKS_PER_TURN = 4096;
const CENTER_TICKS = 2048;
const RADIANS_PER_TICK = (2 * Math.PI) / TICKS_PER_TURN;

/** Converts a raw arm-joint position to radians: direction * (raw + homingOffset - 2048) * 2π / 4096. */
export function ticksToRadians(raw: number, calibration: Calibration): number {
  return calibration.direction * (raw + calibration.homingOffset - CENTER_TICKS) * RADIANS_PER_TICK;
}

export function radiansToTicks(radians: number, calibration: Calibration): number {
  return Math.round((calibration.direction * radians) / RADIANS_PER_TICK) + CENTER_TICKS - calibration.homingOffset;
}

/** Converts a raw gripper position to its opening, 0 closed .. 1 open; direction -1 puts "closed" at rangeMax. */
export function ticksToOpening(raw: number, calibration: Calibration): number {
  const span = calibration.rangeMax - calibration.rangeMin;
  const fromMin = (raw - calibration.rangeMin) / span;
  return calibration.direction === 1 ? fromMin : 1 - fromMin;
}

export function openingToTicks(opening: number, calibration: Calibration): number {
  const span = calibration.rangeMax - calibration.rangeMin;
  const fromMin = calibration.direction === 1 ? opening : 1 - opening;
  return Math.round(calibration.rangeMin + fromMin * span);
}

/** Converts a motor's raw position to its joint value: radians, or opening for the gripper. */
export function rawToJoint(raw: number, motor: MotorConfig): number {
  return motor.joint === GRIPPER_JOINT ? ticksToOpening(raw, motor.calibration) : ticksToRadians(raw, motor.calibration);
}

/** Converts a joint value to the raw goal position, clamped to the motor's calibrated range. */
export function jointToRaw(value: number, motor: MotorConfig): number {
  const raw = motor.joint === GRIPPER_JOINT ? openingToTicks(value, motor.calibration) : radiansToTicks(value, motor.calibration);
  return Math.min(motor.calibration.rangeMax, Math.max(motor.calibration.rangeMin, raw));
}

/** Returns the motors whose raw position lies outside their calibrated range by more than `marginTicks`. */
export function motorsOutOfRange(motors: readonly MotorConfig[], raw: readonly number[], marginTicks = 64): MotorConfig[] {
  return motors.filter((motor, index) => {
    const value = raw[index] ?? 0;
    return value < motor.calibration.rangeMin - marginTicks || value > motor.calibration.rangeMax + marginTicks;
  });
}
