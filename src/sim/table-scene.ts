import type { Side } from '../rig/rig-config.js';
import { ARM_GEOMETRY } from './arm-kinematics.js';
import { mulberry32, uniform } from './seeded-random.js';
import type { Vec3 } from './vec3.js';

export const TARGET_COLOURS = ['red', 'green', 'blue', 'yellow'] as const;
export type TargetColour = (typeof TARGET_COLOURS)[number];

/** A coloured disc lying on the table top. */
export interface TableTarget {
  colour: TargetColour;
  x: number;
  y: number;
}

/** The table task: four targets and the one each gripper must reach. */
export interface TableScene {
  seed: number;
  targets: TableTarget[];
  goals: Record<Side, TargetColour>;
  task: string;
}

/** Table top extent in metres; the arms' bases stand on its near edge. */
export const TABLE_BOUNDS = { minX: -0.6, maxX: 0.6, minY: -0.1, maxY: 0.65 } as const;
export const TARGET_RADIUS_M = 0.045;
/** A tip within this horizontal distance of its target's centre counts as on it. */
export const SUCCESS_RADIUS_M = 0.04;
/** A tip higher than this above the table does not count as touching the target. */
export const SUCCESS_MAX_HEIGHT_M = 0.06;

/** Target placement area of each arm: its half of the table, within comfortable reach of its base. */
const PLACEMENT = { minAbsX: 0.06, maxAbsX: 0.45, minY: 0.2, maxY: 0.46, minReach: 0.2, maxReach: 0.48, minSpacing: 0.1 } as const;
const SIDES: readonly Side[] = ['left', 'right'];

/**
 * Creates the scene of `seed`: two targets on each arm's half of the table, colours shuffled,
 * and one of each arm's two targets as its goal. The same seed always gives the same scene.
 */
export function createTableScene(seed: number): TableScene {
  const random = mulberry32(seed);
  const colours = shuffle([...TARGET_COLOURS], random);
  const targets: TableTarget[] = [];
  const goals = {} as Record<Side, TargetColour>;

  SIDES.forEach((side, sideIndex) => {
    const own = colours.slice(sideIndex * 2, sideIndex * 2 + 2);
    const placed: TableTarget[] = [];
    for (const colour of own) placed.push({ colour, ...placeTarget(side, placed, random) });
    targets.push(...placed);
    goals[side] = own[random() < 0.5 ? 0 : 1]!;
  });

  return { seed, targets, goals, task: taskText(goals) };
}

export function taskText(goals: Record<Side, TargetColour>): string {
  return `move the left gripper to the ${goals.left} target and the right gripper to the ${goals.right} target`;
}

export function targetOf(scene: TableScene, colour: TargetColour): TableTarget {
  return scene.targets.find((target) => target.colour === colour)!;
}

export interface SceneVerdict {
  success: boolean;
  detail: string;
}

/** Checks each gripper tip against its goal target: within SUCCESS_RADIUS_M on the table plane and at most SUCCESS_MAX_HEIGHT_M above it. */
export function judgeScene(scene: TableScene, tips: Record<Side, Vec3>): SceneVerdict {
  const parts: string[] = [];
  let success = true;
  for (const side of SIDES) {
    const goal = targetOf(scene, scene.goals[side]);
    const tip = tips[side];
    const distance = Math.hypot(tip[0] - goal.x, tip[1] - goal.y);
    const reached = distance <= SUCCESS_RADIUS_M && tip[2] <= SUCCESS_MAX_HEIGHT_M;
    success &&= reached;
    parts.push(
      `${side} tip ${distance.toFixed(3)} m from the ${goal.colour} target and ${tip[2].toFixed(3)} m above the table (${reached ? 'reached' : 'not reached'})`,
    );
  }
  const limits = `limits ${SUCCESS_RADIUS_M} m across, ${SUCCESS_MAX_HEIGHT_M} m above`;
  return { success, detail: `${parts.join('; ')}; ${limits}` };
}

function placeTarget(side: Side, placed: readonly TableTarget[], random: () => number): { x: number; y: number } {
  const base = ARM_GEOMETRY.bases[side];
  const sign = side === 'left' ? -1 : 1;
  for (;;) {
    const x = sign * uniform(random, PLACEMENT.minAbsX, PLACEMENT.maxAbsX);
    const y = uniform(random, PLACEMENT.minY, PLACEMENT.maxY);
    const reach = Math.hypot(x - base[0], y - base[1]);
    if (reach < PLACEMENT.minReach || reach > PLACEMENT.maxReach) continue;
    if (placed.some((other) => Math.hypot(other.x - x, other.y - y) < PLACEMENT.minSpacing)) continue;
    return { x, y };
  }
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
