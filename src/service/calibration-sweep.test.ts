import { describe, expect, it } from 'vitest';
import { UserError } from '../common/errors.js';
import type { MotorConfig } from '../rig/rig-config.js';
import { calibrationFromSweep } from './calibration-sweep.js';

const elbow: MotorConfig = { id: 3, model: 'xm540-w270', joint: 'elbow', calibration: { homingOffset: 0, direction: -1, rangeMin: 900, rangeMax: 3100 } };
const gripper: MotorConfig = { id: 7, model: 'xm430-w350', joint: 'gripper', calibration: { homingOffset: 12, direction: 1, rangeMin: 1450, rangeMax: 2650 } };

describe('calibrationFromSweep', () => {
  it('homes an arm joint on its middle pose', () => {
    expect(calibrationFromSweep('left_follower', elbow, { middle: 2100, min: 1000, max: 3050 })).toEqual({ homingOffset: -52, direction: -1, rangeMin: 1000, rangeMax: 3050 });
  });

  it('keeps the gripper homing offset', () => {
    expect(calibrationFromSweep('left_follower', gripper, { middle: null, min: 1500, max: 2600 })).toEqual({ homingOffset: 12, direction: 1, rangeMin: 1500, rangeMax: 2600 });
  });

  it('rejects a joint that barely moved', () => {
    expect(() => calibrationFromSweep('left_follower', elbow, { middle: 2048, min: 2040, max: 2060 })).toThrow(UserError);
    expect(() => calibrationFromSweep('left_follower', elbow, { middle: 2048, min: 2040, max: 2060 })).toThrow('motor 3 (elbow) of left_follower moved only 20 ticks');
  });
});
