import type { ArmConfig, ArmName, RigConfig, ServoModel } from './rig-config.js';
import { rigConfigSchema } from './rig-config.js';
import { TICKS_PER_TURN } from './calibration.js';

/** Joints of one ALOHA-style arm, in motor id order 1..7. */
export const ALOHA_JOINTS = ['waist', 'shoulder', 'elbow', 'forearm_roll', 'wrist_angle', 'wrist_rotate', 'gripper'] as const;

/** Follower joint limits in radians (gripper: 0 closed .. 1 open), close to a ViperX 300 s. */
export const ALOHA_JOINT_LIMITS: Record<string, { min: number; max: number }> = {
  waist: { min: -1.6, max: 1.6 },
  shoulder: { min: -1.8, max: 1.25 },
  elbow: { min: -1.7, max: 1.55 },
  forearm_roll: { min: -2.0, max: 2.0 },
  wrist_angle: { min: -1.8, max: 2.1 },
  wrist_rotate: { min: -2.5, max: 2.5 },
  gripper: { min: 0, max: 1 },
};

/** Raw gripper travel: the leader's handle and the follower's fingers have different ranges. */
const GRIPPER_RANGE = { leader: { min: 1800, max: 2400 }, follower: { min: 1450, max: 2650 } };
const RANGE_MARGIN_TICKS = 40;

const FOLLOWER_MODELS: Record<string, ServoModel> = { shoulder: 'xm540-w270', elbow: 'xm540-w270' };

function armConfig(port: string, role: 'leader' | 'follower', baudRate: number, latencyMs: number): ArmConfig {
  const motors = ALOHA_JOINTS.map((joint, index) => {
    const model: ServoModel = role === 'leader' ? 'xl430-w250' : (FOLLOWER_MODELS[joint] ?? 'xm430-w350');
    if (joint === 'gripper') {
      const range = GRIPPER_RANGE[role];
      return { id: index + 1, model, joint, calibration: { homingOffset: 0, direction: 1 as const, rangeMin: range.min, rangeMax: range.max } };
    }
    const limit = ALOHA_JOINT_LIMITS[joint]!;
    const ticksPerRadian = TICKS_PER_TURN / (2 * Math.PI);
    return {
      id: index + 1,
      model,
      joint,
      calibration: {
        homingOffset: 0,
        direction: 1 as const,
        rangeMin: Math.floor(2048 + limit.min * ticksPerRadian) - RANGE_MARGIN_TICKS,
        rangeMax: Math.ceil(2048 + limit.max * ticksPerRadian) + RANGE_MARGIN_TICKS,
      },
    };
  });
  return { port, baudRate: baudRate as ArmConfig['baudRate'], protocol: 'dynamixel2', latencyMs, returnDelayUs: 0, motors };
}

export interface AlohaRigOptions {
  name?: string;
  baudRate?: number;
  /** Adapter latency added to every bus timeout, in ms: 1 for FTDI adapters with the latency timer lowered. */
  latencyMs?: number;
  fps?: number;
  cameras?: RigConfig['cameras'];
}

/** Builds the ALOHA-style bimanual preset: 6 joints + gripper per arm, 14-number state and action. */
export function alohaRig(ports: Record<ArmName, string>, options: AlohaRigOptions = {}): RigConfig {
  const baudRate = options.baudRate ?? 1_000_000;
  const latencyMs = options.latencyMs ?? 1;
  return rigConfigSchema.parse({
    version: 1,
    name: options.name ?? 'aloha',
    fps: options.fps ?? 50,
    arms: {
      left_leader: armConfig(ports.left_leader, 'leader', baudRate, latencyMs),
      left_follower: armConfig(ports.left_follower, 'follower', baudRate, latencyMs),
      right_leader: armConfig(ports.right_leader, 'leader', baudRate, latencyMs),
      right_follower: armConfig(ports.right_follower, 'follower', baudRate, latencyMs),
    },
    jointLimits: ALOHA_JOINT_LIMITS,
    gripperMapping: { leaderClosed: 0, leaderOpen: 1, followerClosed: 0, followerOpen: 1 },
    maxStepPerTick: { joint: 0.08, gripper: 0.1 },
    onStop: 'hold',
    cameras: options.cameras ?? [],
  });
}
