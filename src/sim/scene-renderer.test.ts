import { describe, expect, it } from 'vitest';
import { armPose, solveTipDown } from './arm-kinematics.js';
import { highCameraView, projectPoint, wristCameraView } from './scene-camera-views.js';
import { LINK_RGB, TARGET_RGB, createRgbImage, drawArms, renderTable, type RgbImage } from './scene-renderer.js';
import { createTableScene, targetOf } from './table-scene.js';
import { type Vec3, addScaled, sub } from './vec3.js';

const WIDTH = 320;
const HEIGHT = 240;

function pixelAt(image: RgbImage, x: number, y: number): number[] {
  const offset = (Math.floor(y) * image.width + Math.floor(x)) * 3;
  return [image.data[offset]!, image.data[offset + 1]!, image.data[offset + 2]!];
}

describe('scene renderer', () => {
  const scene = createTableScene(21);
  const left = targetOf(scene, scene.goals.left);
  const right = targetOf(scene, scene.goals.right);
  const poses = {
    left: armPose('left', [...solveTipDown('left', [left.x, left.y, 0.15])!, 1]),
    right: armPose('right', [...solveTipDown('right', [right.x, right.y, 0.15])!, 1]),
  };

  it('draws every target in its colour in cam_high', () => {
    const view = highCameraView(WIDTH, HEIGHT);
    const image = createRgbImage(WIDTH, HEIGHT);
    renderTable(view, scene, image);
    for (const target of scene.targets) {
      const point = projectPoint(view, [target.x, target.y, 0])!;
      expect(point.x).toBeGreaterThan(0);
      expect(point.x).toBeLessThan(WIDTH);
      expect(pixelAt(image, point.x, point.y)).toEqual([...TARGET_RGB[target.colour]]);
    }
  });

  it('draws the arms over the table in cam_high', () => {
    const view = highCameraView(WIDTH, HEIGHT);
    const image = createRgbImage(WIDTH, HEIGHT);
    renderTable(view, scene, image);
    drawArms(view, poses, image);
    for (const pose of [poses.left, poses.right]) {
      const middle: Vec3 = addScaled(pose.elbow, sub(pose.wrist, pose.elbow), 0.5);
      const point = projectPoint(view, middle)!;
      const [red, green, blue] = pixelAt(image, point.x, point.y);
      // The forearm's centre line is shaded least: within 10% of the link colour, and grey.
      expect(red).toBeGreaterThan(LINK_RGB[0] * 0.9);
      expect(Math.abs(red! - green!) + Math.abs(green! - blue!)).toBeLessThanOrEqual(2);
    }
  });

  it('shows the goal target below the gripper in the wrist camera', () => {
    const view = wristCameraView(poses.left, WIDTH, HEIGHT);
    const image = createRgbImage(WIDTH, HEIGHT);
    renderTable(view, scene, image);
    const point = projectPoint(view, [left.x, left.y, 0])!;
    expect(point.x).toBeGreaterThan(0);
    expect(point.y).toBeLessThan(HEIGHT);
    expect(pixelAt(image, point.x, point.y)).toEqual([...TARGET_RGB[left.colour]]);
  });
});
