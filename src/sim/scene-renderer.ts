import type { Side } from '../rig/rig-config.js';
import type { ArmPose } from './arm-kinematics.js';
import { type CameraView, projectPoint } from './scene-camera-views.js';
import { TABLE_BOUNDS, TARGET_RADIUS_M, type TableScene, type TargetColour } from './table-scene.js';
import { type Vec3, addScaled, dot, sub } from './vec3.js';

/** Interleaved 8-bit RGB pixels, row by row. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

type Rgb = readonly [number, number, number];

export const TARGET_RGB: Record<TargetColour, Rgb> = {
  red: [220, 30, 30],
  green: [30, 170, 60],
  blue: [30, 70, 230],
  yellow: [235, 205, 30],
};
const TABLE_RGB: Rgb = [185, 160, 125];
const GRID_RGB: Rgb = [160, 136, 104];
const FLOOR_RGB: Rgb = [70, 72, 78];
const BACKDROP_RGB: Rgb = [150, 160, 175];
export const LINK_RGB: Rgb = [225, 225, 225];
const PILLAR_RGB: Rgb = [110, 110, 110];
const JOINT_RGB: Rgb = [60, 60, 60];
const GRIPPER_RGB: Rgb = [25, 25, 25];

const GRID_SPACING_M = 0.1;
const GRID_LINE_M = 0.004;
/** Inner part of a target disc drawn in full colour; the ring outside it is darker, so the edge is visible against any background. */
const TARGET_CORE = 0.8;

export function createRgbImage(width: number, height: number): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3) };
}

/**
 * Draws the floor, the table top with a 10 cm grid and the target discs by casting one ray
 * per pixel onto the plane z = 0; pixels whose ray points up show the backdrop.
 */
export function renderTable(view: CameraView, scene: TableScene, image: RgbImage): void {
  const { position, forward, right, up, focalPx, width, height } = view;
  const targets = scene.targets.map((target) => ({ x: target.x, y: target.y, rgb: TARGET_RGB[target.colour] }));
  const radiusSquared = TARGET_RADIUS_M * TARGET_RADIUS_M;
  const coreSquared = radiusSquared * TARGET_CORE * TARGET_CORE;
  const data = image.data;

  for (let row = 0; row < height; row++) {
    const vertical = -(row + 0.5 - height / 2) / focalPx;
    const first = (0.5 - width / 2) / focalPx;
    const rowDirection = addScaled(addScaled(forward, up, vertical), right, first);
    const step = 1 / focalPx;

    for (let column = 0; column < width; column++) {
      const dx = rowDirection[0] + right[0] * step * column;
      const dy = rowDirection[1] + right[1] * step * column;
      const dz = rowDirection[2] + right[2] * step * column;
      let rgb: Rgb = BACKDROP_RGB;

      if (dz < -1e-9) {
        const t = -position[2] / dz;
        const x = position[0] + t * dx;
        const y = position[1] + t * dy;
        rgb = FLOOR_RGB;
        if (x >= TABLE_BOUNDS.minX && x <= TABLE_BOUNDS.maxX && y >= TABLE_BOUNDS.minY && y <= TABLE_BOUNDS.maxY) {
          rgb = onGridLine(x) || onGridLine(y) ? GRID_RGB : TABLE_RGB;
          for (const target of targets) {
            const distanceSquared = (x - target.x) ** 2 + (y - target.y) ** 2;
            if (distanceSquared <= radiusSquared) rgb = distanceSquared <= coreSquared ? target.rgb : darker(target.rgb);
          }
        }
      }

      const offset = (row * width + column) * 3;
      data[offset] = rgb[0];
      data[offset + 1] = rgb[1];
      data[offset + 2] = rgb[2];
    }
  }
}

function onGridLine(value: number): boolean {
  const phase = Math.abs(value / GRID_SPACING_M - Math.round(value / GRID_SPACING_M)) * GRID_SPACING_M;
  return phase < GRID_LINE_M / 2;
}

function darker(rgb: Rgb): Rgb {
  return [rgb[0] * 0.6, rgb[1] * 0.6, rgb[2] * 0.6];
}

interface Capsule {
  from: Vec3;
  to: Vec3;
  radiusM: number;
  rgb: Rgb;
}

/** Lists the parts of one arm as capsules: base pillar, upper arm, forearm, hand, two fingers, and balls at the joints. */
function armCapsules(pose: ArmPose): Capsule[] {
  const palm = addScaled(pose.wrist, pose.gripperDirection, 0.09);
  const spread = 0.006 + 0.03 * Math.min(1, Math.max(0, pose.gripper));
  const finger = (sign: number): Capsule => ({
    from: addScaled(palm, pose.pitchAxis, sign * spread),
    to: addScaled(pose.tip, pose.pitchAxis, sign * spread),
    radiusM: 0.009,
    rgb: GRIPPER_RGB,
  });
  return [
    { from: pose.base, to: pose.shoulder, radiusM: 0.035, rgb: PILLAR_RGB },
    { from: pose.shoulder, to: pose.elbow, radiusM: 0.025, rgb: LINK_RGB },
    { from: pose.elbow, to: pose.wrist, radiusM: 0.022, rgb: LINK_RGB },
    { from: pose.wrist, to: palm, radiusM: 0.012, rgb: GRIPPER_RGB },
    finger(1),
    finger(-1),
    { from: pose.shoulder, to: pose.shoulder, radiusM: 0.032, rgb: JOINT_RGB },
    { from: pose.elbow, to: pose.elbow, radiusM: 0.028, rgb: JOINT_RGB },
    { from: pose.wrist, to: pose.wrist, radiusM: 0.025, rgb: JOINT_RGB },
  ];
}

/** Draws both arms over the image, farthest part first, each part shaded darker toward its edge. */
export function drawArms(view: CameraView, poses: Record<Side, ArmPose>, image: RgbImage): void {
  const capsules = [...armCapsules(poses.left), ...armCapsules(poses.right)];
  const depthOf = (capsule: Capsule): number => dot(sub(addScaled(capsule.from, sub(capsule.to, capsule.from), 0.5), view.position), view.forward);
  capsules.sort((a, b) => depthOf(b) - depthOf(a));
  for (const capsule of capsules) drawCapsule(view, capsule, image);
}

const NEAR_M = 0.02;

function drawCapsule(view: CameraView, capsule: Capsule, image: RgbImage): void {
  // Clip the segment to the near plane, so parts right in front of a wrist camera still draw.
  let { from, to } = capsule;
  const depthFrom = dot(sub(from, view.position), view.forward);
  const depthTo = dot(sub(to, view.position), view.forward);
  if (depthFrom < NEAR_M && depthTo < NEAR_M) return;
  if (depthFrom < NEAR_M) from = addScaled(from, sub(to, from), (NEAR_M - depthFrom) / (depthTo - depthFrom));
  else if (depthTo < NEAR_M) to = addScaled(to, sub(from, to), (NEAR_M - depthTo) / (depthFrom - depthTo));

  const a = projectPoint(view, from, NEAR_M * 0.999);
  const b = projectPoint(view, to, NEAR_M * 0.999);
  if (!a || !b) return;
  const radiusA = (capsule.radiusM * view.focalPx) / a.depth;
  const radiusB = (capsule.radiusM * view.focalPx) / b.depth;
  fillCapsule(image, a.x, a.y, radiusA, b.x, b.y, radiusB, capsule.rgb);
}

/** Fills the 2D capsule between two discs, its radius changing linearly along the segment. */
function fillCapsule(image: RgbImage, x0: number, y0: number, r0: number, x1: number, y1: number, r1: number, rgb: Rgb): void {
  const maxRadius = Math.max(r0, r1);
  const minColumn = Math.max(0, Math.floor(Math.min(x0, x1) - maxRadius));
  const maxColumn = Math.min(image.width - 1, Math.ceil(Math.max(x0, x1) + maxRadius));
  const minRow = Math.max(0, Math.floor(Math.min(y0, y1) - maxRadius));
  const maxRow = Math.min(image.height - 1, Math.ceil(Math.max(y0, y1) + maxRadius));
  const ex = x1 - x0;
  const ey = y1 - y0;
  const lengthSquared = ex * ex + ey * ey;

  for (let row = minRow; row <= maxRow; row++) {
    for (let column = minColumn; column <= maxColumn; column++) {
      const px = column + 0.5 - x0;
      const py = row + 0.5 - y0;
      const t = lengthSquared === 0 ? 0 : Math.min(1, Math.max(0, (px * ex + py * ey) / lengthSquared));
      const distance = Math.hypot(px - t * ex, py - t * ey);
      const radius = r0 + t * (r1 - r0);
      if (distance > radius) continue;

      const shade = 1 - 0.35 * (distance / radius) ** 2;
      const offset = (row * image.width + column) * 3;
      image.data[offset] = rgb[0] * shade;
      image.data[offset + 1] = rgb[1] * shade;
      image.data[offset + 2] = rgb[2] * shade;
    }
  }
}
