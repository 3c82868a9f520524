import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraHub } from '../camera/camera-hub.js';
import type { CameraFrame } from '../camera/camera-types.js';
import { SIM_CAMERA_NAMES } from './sim-cameras.js';
import { type SimRig, startSimRig } from './sim-rig.js';
import { sceneSeed } from './sim-scene.js';
import { createTableScene } from './table-scene.js';

describe('simulated rig scene and cameras', () => {
  let sim: SimRig;
  let hub: CameraHub;

  beforeAll(async () => {
    sim = await startSimRig({ seed: 6, cameras: { width: 160, height: 120, fps: 20 } });
    hub = new CameraHub(sim.config.cameras);
    await hub.start();
  });

  afterAll(async () => {
    await hub?.stop();
    await sim?.stop();
  });

  it('lists the three cameras on sockets in its folder', () => {
    expect(sim.config.cameras.map((camera) => camera.name)).toEqual([...SIM_CAMERA_NAMES]);
    for (const camera of sim.config.cameras) {
      expect(camera.device).toBe(`unix:${sim.dir}/${camera.name}.sock`);
      expect([camera.width, camera.height, camera.fps]).toEqual([160, 120, 20]);
    }
  });

  it('resets to the scene of a given seed', async () => {
    expect(await sim.resetScene(42)).toEqual({ task: createTableScene(42).task, seed: 42 });
  });

  it('derives scene seeds from the run seed', async () => {
    const first = await sim.resetScene();
    const second = await sim.resetScene();
    expect([first.seed, second.seed]).toEqual([sceneSeed(6, 2), sceneSeed(6, 3)]);
    expect(second.task).toBe(createTableScene(second.seed).task);
  });

  it('judges the current scene', async () => {
    const verdict = await sim.taskVerdict();
    // The followers have not moved toward the new targets: no teleop loop runs in this test.
    expect(verdict.success).toBe(false);
    expect(verdict.detail).toMatch(/^left tip \d+\.\d{3} m from the (red|green|blue|yellow) target .*; right tip /);
  });

  it('streams JPEG frames of the configured size from every camera', async () => {
    const next = (camera: string): Promise<CameraFrame> =>
      new Promise((resolve) => {
        const onFrame = (frame: CameraFrame): void => {
          if (frame.camera !== camera) return;
          hub.off('frame', onFrame);
          resolve(frame);
        };
        hub.on('frame', onFrame);
      });
    for (const camera of SIM_CAMERA_NAMES) {
      const frame = await next(camera);
      const image = await sharp(frame.jpeg).metadata();
      expect([image.format, image.width, image.height]).toEqual(['jpeg', 160, 120]);
    }
  });
});
