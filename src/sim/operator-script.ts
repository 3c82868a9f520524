import { mulberry32 } from '../policy/scratchpad.js';
import { ALOHA_JOINTS, ALOHA_JOINT_LIMITS } from '../rig/presets.js';

/** Leader-arm joint values for both arms: 6 joints in radians, then the gripper opening 0 (closed) .. 1 (open). */
export interface LeaderJoints {
  left: number[];
  right: number[];
}

/** Source of the leader-arm motion in the simulated rig: a script now, a task-solving operator later. */
export interface LeaderOperator {
  leaderJointsAt(tSeconds: number): LeaderJoints;
}

/** Fraction of each joint's half range the script sweeps, so poses stay well inside the limits. */
const SWEEP_FRACTION = 0.35;
const MIN_FREQUENCY_HZ = 0.04;
const MAX_FREQUENCY_HZ = 0.18;

interface JointWave {
  center: number;
  amplitude: number;
  frequencies: [number, number];
  phases: [number, number];
}

/**
 * Creates a scripted operator: each joint follows a sum of two slow sine waves and each gripper
 * opens and closes with short dwells at both ends. The motion is a pure function of the
 * seed and the time, so runs repeat exactly. The top joint speed, under 1 rad/s for the
 * ALOHA limits, stays well below the followers' 1.5 turn/s.
 */
export function createScriptedOperator(seed: number): LeaderOperator {
  const random = mulberry32(seed);
  const waves = { left: sideWaves(random), right: sideWaves(random) };
  return {
    leaderJointsAt: (tSeconds) => ({
      left: waves.left.map((wave, index) => valueAt(wave, tSeconds, index === ALOHA_JOINTS.length - 1)),
      right: waves.right.map((wave, index) => valueAt(wave, tSeconds, index === ALOHA_JOINTS.length - 1)),
    }),
  };
}

function sideWaves(random: () => number): JointWave[] {
  return ALOHA_JOINTS.map((joint) => {
    const limit = ALOHA_JOINT_LIMITS[joint]!;
    const frequency = () => MIN_FREQUENCY_HZ + random() * (MAX_FREQUENCY_HZ - MIN_FREQUENCY_HZ);
    const phase = () => random() * 2 * Math.PI;
    return {
      center: (limit.min + limit.max) / 2,
      amplitude: (SWEEP_FRACTION * (limit.max - limit.min)) / 2,
      frequencies: [frequency(), frequency()],
      phases: [phase(), phase()],
    };
  });
}

function valueAt(wave: JointWave, tSeconds: number, isGripper: boolean): number {
  const first = Math.sin(2 * Math.PI * wave.frequencies[0] * tSeconds + wave.phases[0]);
  if (isGripper) {
    // Stretch the sine past 0..1 and smooth the clipped ends, so the gripper rests open or closed for a moment.
    const stretched = Math.min(1, Math.max(0, 0.5 + 0.7 * first));
    return stretched * stretched * (3 - 2 * stretched);
  }
  const second = Math.sin(2 * Math.PI * wave.frequencies[1] * tSeconds + wave.phases[1]);
  return wave.center + wave.amplitude * (0.65 * first + 0.35 * second);
}
