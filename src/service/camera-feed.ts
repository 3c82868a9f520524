import { CameraHub } from '../camera/camera-hub.js';
import type { RigConfig } from '../rig/rig-config.js';

export type CameraFeed = CameraHub;
export type { CameraFrame as FeedFrame } from '../camera/camera-types.js';

/** Opens the cameras of the rig file, or returns null when it lists none. start() is the caller's. */
export async function openCameraFeed(rig: RigConfig): Promise<CameraFeed | null> {
  if (rig.cameras.length === 0) return null;
  return new CameraHub(rig.cameras);
}
