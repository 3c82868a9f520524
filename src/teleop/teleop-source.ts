import type { RigConfig } from '../rig/rig-config.js';
import { sideOffset } from '../rig/joint-layout.js';
import type { ActionSource } from './control-loop.js';
import { followerTargets } from './follower-targets.js';

/** Action source for teleop: the followers track the leaders through the rig's mapping and limits. */
export function teleopSource(rig: RigConfig): ActionSource {
  return ({ leader, previousAction }) => {
    if (!leader) return null;
    const action = new Float32Array(previousAction.length);
    for (const side of ['left', 'right'] as const) {
      const offset = sideOffset(rig, side);
      const size = rig.arms[`${side}_follower`].motors.length;
      const targets = followerTargets(rig, side, leader.subarray(offset, offset + size), previousAction.subarray(offset, offset + size));
      action.set(targets, offset);
    }
    return action;
  };
}
