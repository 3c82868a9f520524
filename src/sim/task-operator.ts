import type { Side } from '../rig/rig-config.js';
import { ARM_GEOMETRY, solveTipDown } from './arm-kinematics.js';
import type { LeaderJoints, LeaderOperator } from './operator-script.js';
import { mulberry32, uniform } from './seeded-random.js';
import { type TableScene, targetOf } from './table-scene.js';

/** Tip height above the table at the end of the approach, before the descent. */
const HOVER_HEIGHT_M = 0.1;
/** Tip height the descent ends at: close above the table top. */
const TOUCH_HEIGHT_M = 0.02;
/** Largest distance the operator's aim misses the target centre by, well inside the success radius. */
const MAX_AIM_ERROR_M = 0.01;
const OPEN_SECONDS = 0.8;
const CLOSE_SECONDS = 0.5;
const CLOSED_GRIPPER = 0.2;
const SWAY_AMPLITUDE_RAD = 0.004;
const SIDES: readonly Side[] = ['left', 'right'];
const JOINTS_PER_ARM = 6;
/** Time a scene reset takes to bring the arms from wherever they are to the home pose. */
export const HOMING_SECONDS = 1.5;
/** Home pose: each tip this far in front of its base and above the table, gripper open. */
const HOME_TIP = { forwardM: 0.25, heightM: 0.2 } as const;
/** Largest seeded offset of each arm joint from the home pose, so episodes do not all start alike. */
const HOME_JITTER_RAD = 0.05;

interface SidePlan {
  start: number[];
  hover: number[];
  touch: number[];
  delayS: number;
  approachS: number;
  descendS: number;
  swayHz: number;
  swayPhase: number;
}

/** Maximum time from a reset until both leader arms rest on their targets: the sum of the maximum delay, approach and descent. */
export const MAX_SOLVE_SECONDS = 0.05 + 1.4 + 0.7;

/**
 * Creates the operator that solves `scene` from `startPose` at time `startS`. Each leader
 * arm starts within 0.05 s, moves in joint space along a minimum-jerk path to a pose above
 * its goal target in 1.0 to 1.4 s, descends onto it and closes its gripper, then stays there
 * with a slight sway. Delays, durations, aim errors and the sway come from the scene's seed.
 * The reach starts at once, as a lab's operator does when the episode begins. Its first half
 * second then already heads for the goal, so the policy learns the direction from the cameras.
 */
export function createTaskOperator(scene: TableScene, startS: number, startPose: LeaderJoints): LeaderOperator {
  const random = mulberry32(scene.seed ^ 0x5eed);
  const plans = Object.fromEntries(SIDES.map((side) => [side, planSide(scene, side, startPose[side], random)])) as Record<Side, SidePlan>;
  return {
    leaderJointsAt: (tSeconds) => ({
      left: sideJointsAt(plans.left, tSeconds - startS),
      right: sideJointsAt(plans.right, tSeconds - startS),
    }),
  };
}

function planSide(scene: TableScene, side: Side, start: number[], random: () => number): SidePlan {
  const target = targetOf(scene, scene.goals[side]);
  const aimAngle = uniform(random, 0, 2 * Math.PI);
  const aimError = uniform(random, 0, MAX_AIM_ERROR_M);
  const x = target.x + aimError * Math.cos(aimAngle);
  const y = target.y + aimError * Math.sin(aimAngle);

  const hover = solveTipDown(side, [x, y, HOVER_HEIGHT_M]);
  const touch = solveTipDown(side, [x, y, TOUCH_HEIGHT_M]);
  if (!hover || !touch) throw new Error(`${side} arm cannot reach the ${target.colour} target at (${x.toFixed(3)}, ${y.toFixed(3)})`);

  return {
    start: [...start],
    hover,
    touch,
    delayS: uniform(random, 0, 0.05),
    approachS: uniform(random, 1.0, 1.4),
    descendS: uniform(random, 0.5, 0.7),
    swayHz: uniform(random, 0.3, 0.6),
    swayPhase: uniform(random, 0, 2 * Math.PI),
  };
}

/**
 * Returns the pose a scene starts from, as a lab's episodes start from the arms' rest pose. Each
 * tip is in front of its base and above the table with the gripper open, and each arm joint gets
 * a seeded offset of up to HOME_JITTER_RAD.
 */
export function homePose(seed: number): LeaderJoints {
  const random = mulberry32(seed ^ 0x40e);
  const side = (name: Side): number[] => {
    const base = ARM_GEOMETRY.bases[name];
    const joints = solveTipDown(name, [base[0], base[1] + HOME_TIP.forwardM, HOME_TIP.heightM])!;
    return [...joints.map((value) => value + uniform(random, -HOME_JITTER_RAD, HOME_JITTER_RAD)), 1];
  };
  return { left: side('left'), right: side('right') };
}

/** Moves the leader arms from `from` at `startS` to `to` along a minimum-jerk path in joint space, then stays at `to`. */
function createHomingOperator(from: LeaderJoints, to: LeaderJoints, startS: number): LeaderOperator {
  const at = (tSeconds: number): number => minimumJerk((tSeconds - startS) / HOMING_SECONDS);
  return { leaderJointsAt: (tSeconds) => ({ left: blend(from.left, to.left, at(tSeconds)), right: blend(from.right, to.right, at(tSeconds)) }) };
}

/** Minimum-jerk progress 0..1 over normalised time 0..1. */
function minimumJerk(progress: number): number {
  const t = Math.min(1, Math.max(0, progress));
  return t * t * t * (10 - 15 * t + 6 * t * t);
}

function blend(from: readonly number[], to: readonly number[], amount: number): number[] {
  return to.map((value, index) => from[index]! + (value - from[index]!) * amount);
}

function sideJointsAt(plan: SidePlan, elapsedS: number): number[] {
  const t = elapsedS - plan.delayS;
  if (t <= 0) return [...plan.start];

  const arrivedS = plan.approachS + plan.descendS;
  let joints: number[];
  if (t < plan.approachS) {
    joints = blend(plan.start.slice(0, JOINTS_PER_ARM), plan.hover, minimumJerk(t / plan.approachS));
  } else if (t < arrivedS) {
    joints = blend(plan.hover, plan.touch, minimumJerk((t - plan.approachS) / plan.descendS));
  } else {
    const sway = SWAY_AMPLITUDE_RAD * Math.sin(2 * Math.PI * plan.swayHz * (t - arrivedS) + plan.swayPhase);
    joints = plan.touch.map((value, index) => (index < 2 ? value + sway : value));
  }

  const startGripper = plan.start[JOINTS_PER_ARM] ?? 1;
  const gripper =
    t < arrivedS
      ? startGripper + (1 - startGripper) * minimumJerk(t / OPEN_SECONDS)
      : 1 + (CLOSED_GRIPPER - 1) * minimumJerk((t - arrivedS) / CLOSE_SECONDS);
  return [...joints, gripper];
}

/**
 * The simulated rig's leader operator: it runs the idle script until a scene is set. For each new
 * scene it brings the leader arms to the scene's home pose (HOMING_SECONDS), then solves the
 * scene from there.
 */
export class SceneOperator implements LeaderOperator {
  #current: LeaderOperator;

  constructor(idle: LeaderOperator) {
    this.#current = idle;
  }

  leaderJointsAt(tSeconds: number): LeaderJoints {
    return this.#current.leaderJointsAt(tSeconds);
  }

  /**
   * Starts homing at time `tSeconds` of the operator's clock and solving `scene` from the home
   * pose HOMING_SECONDS later; returns the home pose.
   */
  solve(scene: TableScene, tSeconds: number): LeaderJoints {
    const home = homePose(scene.seed);
    const homing = createHomingOperator(this.#current.leaderJointsAt(tSeconds), home, tSeconds);
    const task = createTaskOperator(scene, tSeconds + HOMING_SECONDS, home);
    this.#current = { leaderJointsAt: (t) => (t < tSeconds + HOMING_SECONDS ? homing : task).leaderJointsAt(t) };
    return home;
  }
}
