import { join } from 'node:path';
import type { CameraConfig } from '../rig/rig-config.js';

/** Cameras of the simulated rig, named as on ALOHA. */
export const SIM_CAMERA_NAMES = ['cam_high', 'cam_left_wrist', 'cam_right_wrist'] as const;
export type SimCameraName = (typeof SIM_CAMERA_NAMES)[number];

/** Image size and rate of the simulated cameras. */
export interface SimCameraOptions {
  width?: number;
  height?: number;
  fps?: number;
}

/**
 * Default simulated camera format. Rendering and JPEG-encoding three 320x240 streams at
 * 30 fps costs a few milliseconds per frame each, which leaves room on a 2-core machine for
 * the servo buses, the control loop and the episode writer.
 */
export const DEFAULT_SIM_CAMERA = { width: 320, height: 240, fps: 30 } as const;

/** Rig file entries of the simulated cameras: each streams JPEG frames on a Unix socket in `dir`. */
export function simCameraConfigs(dir: string, options: SimCameraOptions = {}): CameraConfig[] {
  return SIM_CAMERA_NAMES.map((name) => ({
    name,
    device: `unix:${join(dir, `${name}.sock`)}`,
    width: options.width ?? DEFAULT_SIM_CAMERA.width,
    height: options.height ?? DEFAULT_SIM_CAMERA.height,
    fps: options.fps ?? DEFAULT_SIM_CAMERA.fps,
  }));
}

export function isSimCameraName(name: string): name is SimCameraName {
  return (SIM_CAMERA_NAMES as readonly string[]).includes(name);
}
