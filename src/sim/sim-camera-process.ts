/**
 * Entry point of the process that renders the simulated cameras, a child of the simulator
 * process. It serves each camera on a Unix socket as a stream of concatenated JPEG frames
 * (like an MJPEG pipe). It runs at a lower CPU priority than the simulator, so on a busy
 * machine rendering and encoding give way to the servo replies.
 */
import { rmSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import sharp from 'sharp';
import { monotonicMs } from '../common/clock.js';
import { errorMessage } from '../common/errors.js';
import type { Side } from '../rig/rig-config.js';
import { type ArmPose, armPose } from './arm-kinematics.js';
import type { SimCameraEvent, SimCameraRequest, SimCameraStream, SimCameraStart } from './sim-camera-protocol.js';
import { type CameraView, highCameraView, wristCameraView } from './scene-camera-views.js';
import { type RgbImage, createRgbImage, drawArms, renderTable } from './scene-renderer.js';
import type { TableScene } from './table-scene.js';

/** A client that has this many bytes still unsent gets no new frames until it catches up. */
const MAX_UNSENT_BYTES = 1 << 20;

interface CameraState {
  stream: SimCameraStream;
  server: Server;
  clients: Set<Socket>;
  image: RgbImage;
  /** Table and targets in cam_high's image; cam_high does not move, so they are drawn once per scene. */
  background: Uint8Array | null;
  nextDueMs: number;
  encoding: boolean;
  /** Frames not rendered because the previous one was still being encoded. */
  skipped: number;
}

let quality = 80;
let scene: TableScene;
sharp.concurrency(1);

function send(event: SimCameraEvent): void {
  // After the simulator has exited the message is lost; the callback keeps the failed send from throwing.
  if (process.connected) process.send?.(event, undefined, undefined, () => {});
}

function listen(stream: SimCameraStream): Promise<CameraState> {
  rmSync(stream.socketPath, { force: true });
  const clients = new Set<Socket>();
  const server = createServer((socket) => {
    clients.add(socket);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => clients.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(stream.socketPath, () => {
      server.off('error', reject);
      resolve({ stream, server, clients, image: createRgbImage(stream.width, stream.height), background: null, nextDueMs: 0, encoding: false, skipped: 0 });
    });
  });
}

function viewOf(stream: SimCameraStream, poses: Record<Side, ArmPose>): CameraView {
  if (stream.view === 'high') return highCameraView(stream.width, stream.height);
  return wristCameraView(poses[stream.view], stream.width, stream.height);
}

function render(camera: CameraState, poses: Record<Side, ArmPose>): void {
  const view = viewOf(camera.stream, poses);
  if (camera.stream.view === 'high') {
    if (!camera.background) {
      renderTable(view, scene, camera.image);
      camera.background = Uint8Array.from(camera.image.data);
    }
    camera.image.data.set(camera.background);
  } else {
    renderTable(view, scene, camera.image);
  }
  drawArms(view, poses, camera.image);
}

function encodeAndSend(camera: CameraState): void {
  const { width, height } = camera.stream;
  camera.encoding = true;
  sharp(camera.image.data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer()
    .then(
      (jpeg) => {
        for (const client of camera.clients) if (client.writableLength < MAX_UNSENT_BYTES) client.write(jpeg);
      },
      (error: unknown) => send({ type: 'error', message: `${camera.stream.name}: JPEG encoding failed: ${errorMessage(error)}` }),
    )
    .finally(() => {
      camera.encoding = false;
    });
}

/** Renders every camera that has a client and whose next frame is due, keeping each camera on its own rate. */
function onPoses(cameras: CameraState[], joints: Record<Side, number[]>): void {
  const nowMs = monotonicMs();
  let poses: Record<Side, ArmPose> | null = null;
  for (const camera of cameras) {
    const periodMs = 1000 / camera.stream.fps;
    if (camera.clients.size === 0 || nowMs < camera.nextDueMs - periodMs / 2) continue;
    // Keep the schedule, but after a stall start again from now instead of rendering a burst.
    camera.nextDueMs = camera.nextDueMs + periodMs < nowMs - periodMs / 2 ? nowMs + periodMs : camera.nextDueMs + periodMs;
    if (camera.encoding) {
      camera.skipped += 1;
      continue;
    }
    poses ??= { left: armPose('left', joints.left), right: armPose('right', joints.right) };
    render(camera, poses);
    encodeAndSend(camera);
  }
}

/**
 * Renders and encodes one frame of every camera before the rig reports ready, so the compile
 * and library start-up costs are paid before the control loop starts rather than during it.
 */
async function warmUp(cameras: CameraState[]): Promise<void> {
  const poses = { left: armPose('left', []), right: armPose('right', []) };
  for (const camera of cameras) {
    render(camera, poses);
    const { width, height } = camera.stream;
    await sharp(camera.image.data, { raw: { width, height, channels: 3 } }).jpeg({ quality }).toBuffer();
  }
}

async function start(request: SimCameraStart): Promise<void> {
  scene = request.scene;
  quality = request.quality;
  const cameras = await Promise.all(request.cameras.map(listen));
  await warmUp(cameras);
  process.on('message', (message: SimCameraRequest) => {
    if (message.type === 'poses') {
      onPoses(cameras, message.joints);
    } else if (message.type === 'scene') {
      scene = message.scene;
      for (const camera of cameras) camera.background = null;
    } else if (message.type === 'stop') {
      for (const camera of cameras) {
        for (const client of camera.clients) client.destroy();
        camera.server.close();
      }
      send({ type: 'stopped', skipped: Object.fromEntries(cameras.map((camera) => [camera.stream.name, camera.skipped])) });
      process.disconnect();
    }
  });
  send({ type: 'listening' });
}

process.once('message', (message: SimCameraStart) => {
  start(message).catch((error: unknown) => send({ type: 'error', message: errorMessage(error) }));
});
// The simulator decides when the cameras stop; without it they stop at once.
process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => {});
