import { OperatingMode } from '../dynamixel/control-table.js';

/**
 * Motion model of one emulated servo, in the motor's own frame ("actual" ticks, before
 * Homing Offset and the reverse bit of Drive Mode are applied). Motion is integrated only
 * when the caller advances it, so no timer runs per servo.
 */

/** One X-series velocity unit: 0.229 rpm. */
export const RPM_PER_VELOCITY_UNIT = 0.229;
const TICKS_PER_TURN = 4096;

/** Speed of a follower when Profile Velocity is 0 (no profile): 1.5 turns per second. */
export const DEFAULT_MAX_TICKS_PER_SECOND = 1.5 * TICKS_PER_TURN;

export function velocityUnitsToTicksPerSecond(units: number): number {
  return (units * RPM_PER_VELOCITY_UNIT * TICKS_PER_TURN) / 60;
}

export function ticksPerSecondToVelocityUnits(ticksPerSecond: number): number {
  return (ticksPerSecond * 60) / (TICKS_PER_TURN * RPM_PER_VELOCITY_UNIT);
}

export interface MotionInputs {
  torqueOn: boolean;
  operatingMode: number;
  /** Goal Position in the motor's frame (ticks). */
  goal: number;
  /** Goal Velocity in ticks/s, used in velocity mode. */
  goalVelocity: number;
  /** Top speed in ticks/s for position modes. */
  maxSpeed: number;
  /** Position imposed from outside while torque is off (an operator's hand), motor frame; null when none. */
  heldAt: number | null;
}

export interface MotionState {
  position: number;
  /** Signed speed over the last step, ticks/s. */
  velocity: number;
  /** Signed position error (goal - position) after the last step, ticks. */
  error: number;
}

/** Advances `state` by `dtSeconds` with piecewise-constant inputs; never overshoots the goal. */
export function stepMotion(state: MotionState, inputs: MotionInputs, dtSeconds: number): MotionState {
  if (dtSeconds <= 0) return state;
  const start = state.position;
  let position = start;

  if (!inputs.torqueOn) {
    if (inputs.heldAt !== null) position = inputs.heldAt;
  } else if (inputs.operatingMode === OperatingMode.Velocity) {
    position = start + inputs.goalVelocity * dtSeconds;
  } else if (isPositionMode(inputs.operatingMode)) {
    const remaining = inputs.goal - start;
    const reach = inputs.maxSpeed * dtSeconds;
    position = Math.abs(remaining) <= reach ? inputs.goal : start + Math.sign(remaining) * reach;
  }

  const error = inputs.torqueOn && isPositionMode(inputs.operatingMode) ? inputs.goal - position : 0;
  return { position, velocity: (position - start) / dtSeconds, error };
}

export function isPositionMode(mode: number): boolean {
  return mode === OperatingMode.Position || mode === OperatingMode.ExtendedPosition || mode === OperatingMode.CurrentBasedPosition;
}

/**
 * Estimates a plausible motor current in mA: a holding term that grows with the position error, a
 * friction term while moving, clamped to `limitMa`. It is not a dynamics model.
 */
export function plausibleCurrentMa(state: MotionState, torqueOn: boolean, limitMa: number): number {
  if (!torqueOn) return 0;
  const holding = 1.5 * state.error;
  const friction = Math.abs(state.velocity) > 1 ? 60 * Math.sign(state.velocity) : 0;
  const current = holding + friction;
  return Math.max(-limitMa, Math.min(limitMa, current));
}
