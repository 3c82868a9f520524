import type { Side } from '../rig/rig-config.js';
import type { TableScene } from './table-scene.js';

/** One simulated camera as the render worker serves it. */
export interface SimCameraStream {
  name: string;
  view: 'high' | Side;
  socketPath: string;
  width: number;
  height: number;
  fps: number;
}

/** First message to the camera process: what to serve. */
export interface SimCameraStart {
  type: 'start';
  cameras: SimCameraStream[];
  scene: TableScene;
  /** JPEG quality 1..100. */
  quality: number;
}

/** Messages from the simulator process to the camera process after the start message. */
export type SimCameraRequest =
  | { type: 'scene'; scene: TableScene }
  /** Follower joints of both arms in vector order (6 joints in radians, then the gripper opening). */
  | { type: 'poses'; joints: Record<Side, number[]> }
  | { type: 'stop' };

/** Messages from the camera process to the simulator process. */
export type SimCameraEvent = { type: 'listening' } | { type: 'error'; message: string } | { type: 'stopped'; skipped: Record<string, number> };
