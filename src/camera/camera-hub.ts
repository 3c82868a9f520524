import { EventEmitter } from 'node:events';
import { monotonicNs } from '../common/clock.js';
import { UserError } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import type { CameraConfig } from '../rig/rig-config.js';
import { type CameraStream, parseCameraDevice } from './camera-stream.js';
import type { CameraFrame, CameraStatsSnapshot } from './camera-types.js';
import { openLavfiStream, openV4l2Stream } from './ffmpeg-stream.js';
import { FrameTimingCounter } from './frame-timing.js';
import { JpegSplitter } from './jpeg-splitter.js';
import { openSocketStream } from './socket-stream.js';

const log = createLogger('camera');

export interface CameraHubOptions {
  /** How long start() waits for every camera's first frame. */
  firstFrameTimeoutMs?: number;
  /** Opens a camera's byte stream; the device string decides by default. */
  openStream?: (camera: CameraConfig) => Promise<CameraStream>;
}

const DEFAULT_FIRST_FRAME_TIMEOUT_MS = 10_000;

/** Opens the stream the camera's device string names: a V4L2 webcam, an ffmpeg lavfi source or a Unix socket. */
export function openCameraStream(camera: CameraConfig): Promise<CameraStream> {
  const device = parseCameraDevice(camera.device);
  if (device.kind === 'lavfi') return openLavfiStream(camera, device.graph);
  if (device.kind === 'unix') return openSocketStream(camera, device.path);
  return openV4l2Stream(camera, device.path);
}

interface Capture {
  camera: CameraConfig;
  stream: CameraStream | null;
  splitter: JpegSplitter;
  counter: FrameTimingCounter;
  latest: CameraFrame | null;
  /** Reason the stream ended by itself, once it has. */
  endedReason: string | null;
  firstFrame: Promise<void>;
  resolveFirstFrame: () => void;
}

/**
 * Captures several cameras at once. Each camera's byte stream is cut into JPEG frames, and each
 * frame is stamped with the monotonic clock when the chunk that completes it arrives: the clock
 * the control loop stamps joint steps with. Emits 'frame' (CameraFrame) for every frame and
 * 'error' (Error) when a camera's stream ends while the hub runs.
 */
export class CameraHub extends EventEmitter {
  readonly cameras: readonly CameraConfig[];
  readonly #options: CameraHubOptions;
  readonly #captures = new Map<string, Capture>();
  #running = false;

  constructor(cameras: CameraConfig[], options: CameraHubOptions = {}) {
    super();
    const names = new Set<string>();
    for (const camera of cameras) {
      if (names.has(camera.name)) throw new UserError(`camera ${camera.name} is listed twice in the rig file: give each camera its own name`);
      names.add(camera.name);
    }
    this.cameras = cameras;
    this.#options = options;
  }

  /** Opens every camera and waits until each has sent a frame; on any failure all are closed again. */
  async start(): Promise<void> {
    if (this.#running) throw new Error('camera hub is already running');
    const timeoutMs = this.#options.firstFrameTimeoutMs ?? DEFAULT_FIRST_FRAME_TIMEOUT_MS;
    try {
      // Wait for every open to settle: a camera that fails fast must not leave the others opening
      // after stop() has run, which would keep their streams (and the process) alive.
      const opened = await Promise.allSettled(this.cameras.map((camera) => this.#open(camera)));
      const failed = opened.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;
      await Promise.all([...this.#captures.values()].map((capture) => withTimeout(capture, timeoutMs)));
      const ended = [...this.#captures.values()].find((capture) => capture.endedReason !== null);
      if (ended) throw this.#endedError(ended);
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.#running = true;
    log.info(`${this.cameras.length} cameras streaming: ${this.cameras.map((camera) => `${camera.name} (${camera.device})`).join(', ')}`);
  }

  async stop(): Promise<void> {
    const wasRunning = this.#running;
    this.#running = false;
    await Promise.all([...this.#captures.values()].map((capture) => capture.stream?.stop()));
    for (const [name, capture] of wasRunning ? this.#captures : []) {
      const stats = capture.counter.snapshot();
      log.info(`${name}: ${stats.frames} frames, ${stats.dropped} dropped, ${stats.late} late, ${stats.fps} fps measured`);
      if (capture.splitter.discardedBytes > 0) log.warn(`${name}: skipped ${capture.splitter.discardedBytes} bytes that were not part of a JPEG frame`);
    }
    this.#captures.clear();
  }

  /** Newest frame of a camera, or null before its first frame. */
  latest(camera: string): CameraFrame | null {
    return this.#captures.get(camera)?.latest ?? null;
  }

  /** Frame counts of every camera since start(). */
  stats(): Record<string, CameraStatsSnapshot> {
    return Object.fromEntries([...this.#captures].map(([name, capture]) => [name, capture.counter.snapshot()]));
  }

  async #open(camera: CameraConfig): Promise<void> {
    let resolveFirstFrame = (): void => {};
    const firstFrame = new Promise<void>((resolve) => (resolveFirstFrame = resolve));
    const capture: Capture = {
      camera,
      stream: null,
      splitter: new JpegSplitter(),
      counter: new FrameTimingCounter(camera.fps),
      latest: null,
      endedReason: null,
      firstFrame,
      resolveFirstFrame,
    };
    this.#captures.set(camera.name, capture);

    const stream = await (this.#options.openStream ?? openCameraStream)(camera);
    capture.stream = stream;
    stream.data.on('data', (chunk: Buffer) => this.#onChunk(capture, chunk));
    void stream.ended.then((reason) => this.#onEnded(capture, reason));
  }

  #onChunk(capture: Capture, chunk: Buffer): void {
    const arrivedNs = monotonicNs();
    for (const split of capture.splitter.push(chunk)) {
      const frame: CameraFrame = {
        camera: capture.camera.name,
        index: capture.counter.frames,
        tNs: arrivedNs,
        jpeg: split.jpeg,
        width: split.width || capture.camera.width,
        height: split.height || capture.camera.height,
      };
      capture.counter.add(arrivedNs);
      capture.latest = frame;
      capture.resolveFirstFrame();
      this.emit('frame', frame);
    }
  }

  #onEnded(capture: Capture, reason: string): void {
    capture.endedReason = reason;
    if (!this.#running || this.#captures.get(capture.camera.name) !== capture) return;
    const error = this.#endedError(capture);
    log.error(error.message);
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  #endedError(capture: Capture): UserError {
    const { camera } = capture;
    return new UserError(`camera ${camera.name}: stream from ${camera.device} ended: ${capture.endedReason}: check the camera and its cable, then start again`);
  }
}

/** Resolves when the camera has sent its first frame; rejects when its stream ends first or the time runs out. */
function withTimeout(capture: Capture, timeoutMs: number): Promise<void> {
  const { camera } = capture;
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(
      () =>
        settle(
          new UserError(
            `camera ${camera.name}: no frame from ${camera.device} within ${timeoutMs} ms: check that the device streams at ${camera.width}x${camera.height} and ${camera.fps} fps`,
          ),
        ),
      timeoutMs,
    );
    void capture.firstFrame.then(() => settle());
    void capture.stream!.ended.then((reason) => settle(new UserError(`camera ${camera.name}: no frame from ${camera.device}: ${reason}`)));
  });
}
