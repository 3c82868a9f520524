import type { ArmPose } from './arm-kinematics.js';
import { type Vec3, addScaled, cross, dot, normalize, sub } from './vec3.js';

/** A pinhole camera: position, orthonormal axes and image size. */
export interface CameraView {
  position: Vec3;
  forward: Vec3;
  right: Vec3;
  up: Vec3;
  /** Focal length in pixels. */
  focalPx: number;
  width: number;
  height: number;
}

/** Image point of a scene point: pixel coordinates and the distance along the view axis. */
export interface ProjectedPoint {
  x: number;
  y: number;
  depth: number;
}

/** Builds a view from `position` looking at `target`, with `upHint` toward the top of the image. */
export function lookAtView(position: Vec3, target: Vec3, upHint: Vec3, verticalFovRad: number, width: number, height: number): CameraView {
  const forward = normalize(sub(target, position));
  const right = normalize(cross(forward, upHint));
  return { position, forward, right, up: cross(right, forward), focalPx: height / 2 / Math.tan(verticalFovRad / 2), width, height };
}

/** Builds cam_high's view: above and behind the arms' bases, looking down at the middle of the table. */
export function highCameraView(width: number, height: number): CameraView {
  return lookAtView([0, -0.1, 0.9], [0, 0.3, 0], [0, 1, 0], (55 * Math.PI) / 180, width, height);
}

/** Builds a wrist camera's view: on the back of the hand, looking past the fingertips. */
export function wristCameraView(pose: ArmPose, width: number, height: number): CameraView {
  const position = addScaled(addScaled(pose.wrist, pose.handTop, 0.08), pose.gripperDirection, -0.02);
  const target = addScaled(pose.tip, pose.gripperDirection, 0.15);
  return lookAtView(position, target, pose.handTop, (75 * Math.PI) / 180, width, height);
}

/** Projects a scene point into the image; null for points behind the near plane. */
export function projectPoint(view: CameraView, point: Vec3, nearM = 0.02): ProjectedPoint | null {
  const relative = sub(point, view.position);
  const depth = dot(relative, view.forward);
  if (depth < nearM) return null;
  return {
    x: view.width / 2 + (view.focalPx * dot(relative, view.right)) / depth,
    y: view.height / 2 - (view.focalPx * dot(relative, view.up)) / depth,
    depth,
  };
}
