import { UserError } from '../common/errors.js';
import { GRIPPER_JOINT, type Calibration, type MotorConfig } from '../rig/rig-config.js';

/** Raw position that a calibrated arm joint reads as 0 rad: the middle of the 0..4095 turn. */
const CENTER_TICKS = 2048;
/** Smallest travel, in ticks (about 9 degrees), accepted as a recorded range of motion. */
export const MIN_RANGE_TICKS = 100;

/** Positions seen during a calibration sweep of one motor, in raw ticks. */
export interface MotorSweep {
  middle: number | null;
  min: number | null;
  max: number | null;
}

/**
 * Derives a motor's calibration from a sweep. An arm joint gets the homing offset that reads its
 * marked middle pose as 0 rad, and the range it travelled. A gripper keeps its homing offset,
 * because its opening is measured across the recorded range alone. The direction is kept.
 */
export function calibrationFromSweep(arm: string, motor: MotorConfig, sweep: MotorSweep): Calibration {
  const name = `motor ${motor.id} (${motor.joint}) of ${arm}`;
  if (sweep.min === null || sweep.max === null) throw new UserError(`${name} returned no positions during the sweep: check its cable and run the calibration again`);
  if (sweep.max - sweep.min < MIN_RANGE_TICKS) {
    throw new UserError(`${name} moved only ${sweep.max - sweep.min} ticks: move every joint through its full range before finishing`);
  }

  const isGripper = motor.joint === GRIPPER_JOINT;
  if (!isGripper && sweep.middle === null) throw new UserError(`${name} has no middle position: mark the middle pose first`);
  const homingOffset = isGripper ? motor.calibration.homingOffset : CENTER_TICKS - sweep.middle!;
  return { homingOffset, direction: motor.calibration.direction, rangeMin: sweep.min, rangeMax: sweep.max };
}
