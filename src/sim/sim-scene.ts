import { monotonicNs } from '../common/clock.js';
import { createLogger } from '../common/log.js';
import { rawToVector, vectorToRaw } from '../rig/joint-layout.js';
import type { ArmName, RigConfig, Side } from '../rig/rig-config.js';
import { bothArmPoses } from './arm-kinematics.js';
import { SimCameraFeed } from './sim-camera-feed.js';
import type { SimCameraStream } from './sim-camera-protocol.js';
import type { SimBus } from './sim-bus.js';
import { isSimCameraName } from './sim-cameras.js';
import { type SceneVerdict, type TableScene, createTableScene, judgeScene } from './table-scene.js';
import { HOMING_SECONDS, type SceneOperator } from './task-operator.js';
import type { LeaderJoints } from './operator-script.js';

const log = createLogger('sim-scene');

export interface SimSceneOptions {
  rig: RigConfig;
  buses: Record<ArmName, SimBus>;
  operator: SceneOperator;
  /** Seed of the simulator run; scenes reset without a seed derive theirs from it. */
  seed: number;
  /** Monotonic time the operator's clock starts at. */
  startNs: bigint;
}

/** The table task inside the simulator process: the current scene, its verdict and the cameras that show it. */
export interface SimScene {
  /**
   * Places new targets (from `seed`, or the next seed of this run) and brings every arm to the
   * scene's home pose. Resolves once the arms are there, and the operator solves the scene from then on.
   */
  reset(seed?: number): Promise<{ task: string; seed: number }>;
  verdict(): SceneVerdict;
  stop(): Promise<void>;
}

/** Derives the seed of the `count`-th scene of a run, so a run's scenes repeat with its seed. */
export function sceneSeed(runSeed: number, count: number): number {
  return (Math.imul(runSeed >>> 0, 0x9e3779b1) + Math.imul(count, 0x85ebca6b)) >>> 0;
}

/** Returns the followers' joints in vector order, read from the simulated motors. */
function followerJoints(rig: RigConfig, buses: Record<ArmName, SimBus>): Record<Side, number[]> {
  const read = (side: Side): number[] => {
    const name = `${side}_follower` as const;
    const raw = buses[name].servos.map((servo) => servo.valueOf('presentPosition'));
    return rawToVector(rig.arms[name], raw);
  };
  return { left: read('left'), right: read('right') };
}

/**
 * Puts the follower motors exactly at `pose`. Under teleop they have already followed the leaders
 * there. In a rollout nothing drove them, so this is where they jump to their start pose.
 */
function placeFollowers(rig: RigConfig, buses: Record<ArmName, SimBus>, pose: LeaderJoints): void {
  for (const side of ['left', 'right'] as const) {
    const name = `${side}_follower` as const;
    const raw = vectorToRaw(rig.arms[name], pose[side]);
    buses[name].servos.forEach((servo, index) => servo.placeAt(raw[index]!));
  }
}

const SIM_CAMERA_VIEWS = { cam_high: 'high', cam_left_wrist: 'left', cam_right_wrist: 'right' } as const;

/** Streams served for the rig file's cameras whose device is a Unix socket with a simulated camera's name. */
function simulatedStreams(rig: RigConfig): SimCameraStream[] {
  return rig.cameras.flatMap((camera) => {
    if (!camera.device.startsWith('unix:') || !isSimCameraName(camera.name)) return [];
    const view = SIM_CAMERA_VIEWS[camera.name];
    return [{ name: camera.name, view, socketPath: camera.device.slice('unix:'.length), width: camera.width, height: camera.height, fps: camera.fps }];
  });
}

/** Starts the scene of the simulator run, with the first scene placed and the cameras streaming. */
export async function startSimScene(options: SimSceneOptions): Promise<SimScene> {
  const { rig, buses, operator } = options;
  let resets = 0;
  let scene: TableScene = createTableScene(sceneSeed(options.seed, resets));
  const readJoints = (): Record<Side, number[]> => followerJoints(rig, buses);

  const streams = simulatedStreams(rig);
  const feed = streams.length > 0 ? await SimCameraFeed.start(streams, scene, readJoints) : null;

  return {
    async reset(seed) {
      resets += 1;
      scene = createTableScene(seed ?? sceneSeed(options.seed, resets));
      const home = operator.solve(scene, Number(monotonicNs() - options.startNs) / 1e9);
      feed?.setScene(scene);
      log.info(`scene ${scene.seed}: ${scene.task}`);
      await new Promise((resolve) => setTimeout(resolve, HOMING_SECONDS * 1000));
      placeFollowers(rig, buses, home);
      return { task: scene.task, seed: scene.seed };
    },
    verdict() {
      const joints = readJoints();
      const poses = bothArmPoses([...joints.left, ...joints.right]);
      return judgeScene(scene, { left: poses.left.tip, right: poses.right.tip });
    },
    stop: async () => {
      await feed?.stop();
    },
  };
}
