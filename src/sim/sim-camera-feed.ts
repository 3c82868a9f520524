import { type ChildProcess, fork } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { monotonicMs } from '../common/clock.js';
import { errorMessage } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import type { Side } from '../rig/rig-config.js';
import type { SimCameraEvent, SimCameraRequest, SimCameraStart, SimCameraStream } from './sim-camera-protocol.js';
import type { TableScene } from './table-scene.js';

const log = createLogger('sim-cameras');
const JPEG_QUALITY = 80;
const LISTEN_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 1_000;
/** Niceness of the camera process: rendering yields the CPU to the simulator's servo replies and to the app. */
const CAMERA_PROCESS_NICENESS = 10;

/**
 * Drives the simulated cameras from the simulator process: at the fastest camera's rate it
 * reads the follower joints (`readJoints`) and sends them to the camera process, which
 * renders, encodes and streams each camera on its own schedule.
 */
export class SimCameraFeed {
  readonly #child: ChildProcess;
  readonly #readJoints: () => Record<Side, number[]>;
  readonly #periodMs: number;
  #timer: NodeJS.Timeout | null = null;
  #nextTickMs = 0;

  private constructor(child: ChildProcess, readJoints: () => Record<Side, number[]>, fps: number) {
    this.#child = child;
    this.#readJoints = readJoints;
    this.#periodMs = 1000 / fps;
  }

  /** Starts the camera process and resolves once every camera's socket is listening. */
  static async start(cameras: SimCameraStream[], scene: TableScene, readJoints: () => Record<Side, number[]>): Promise<SimCameraFeed> {
    const child = forkCameraProcess();
    try {
      setPriority(child.pid!, CAMERA_PROCESS_NICENESS);
    } catch (error) {
      log.warn(`cannot lower the camera process's priority (${errorMessage(error)}): rendering competes with the servo replies`);
    }
    try {
      await waitForListening(child, { type: 'start', cameras, scene, quality: JPEG_QUALITY });
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    child.on('message', (event: SimCameraEvent) => {
      if (event.type === 'error') log.error(`camera process: ${event.message}`);
    });

    const feed = new SimCameraFeed(child, readJoints, Math.max(...cameras.map((camera) => camera.fps)));
    feed.#schedule();
    log.info(`${cameras.length} simulated cameras streaming: ${cameras.map((camera) => `${camera.name} ${camera.width}x${camera.height} at ${camera.fps} fps`).join(', ')}`);
    return feed;
  }

  setScene(scene: TableScene): void {
    this.#send({ type: 'scene', scene });
  }

  /** Stops the ticks and the camera process, which reports how many frames it skipped while encoding. */
  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;

    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.on('message', (event: SimCameraEvent) => {
      if (event.type !== 'stopped') return;
      const skipped = Object.entries(event.skipped).filter(([, count]) => count > 0);
      if (skipped.length > 0) log.warn(`frames skipped while the previous one was encoding: ${skipped.map(([name, count]) => `${name} ${count}`).join(', ')}`);
    });
    this.#send({ type: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  #send(message: SimCameraRequest): void {
    if (this.#child.connected) this.#child.send(message);
  }

  /** Ticks on a fixed schedule from the first tick, so timer delays do not add up. */
  #schedule(): void {
    const nowMs = monotonicMs();
    const behind = this.#nextTickMs === 0 || this.#nextTickMs < nowMs - this.#periodMs;
    this.#nextTickMs = behind ? nowMs + this.#periodMs : this.#nextTickMs + this.#periodMs;
    this.#timer = setTimeout(() => {
      this.#send({ type: 'poses', joints: this.#readJoints() });
      this.#schedule();
    }, Math.max(0, this.#nextTickMs - nowMs));
  }
}

/** Forks sim-camera-process: the compiled .js under Node, or the .ts source through tsx under Vitest. */
function forkCameraProcess(): ChildProcess {
  const thisFile = fileURLToPath(import.meta.url);
  const fromSource = thisFile.endsWith('.ts');
  const entry = thisFile.replace(/sim-camera-feed\.(ts|js)$/, `sim-camera-process.${fromSource ? 'ts' : 'js'}`);
  return fork(entry, [], { execArgv: fromSource ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function waitForListening(child: ChildProcess, start: SimCameraStart): Promise<void> {
  return new Promise((resolve, reject) => {
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    const onMessage = (event: SimCameraEvent): void => {
      if (event.type === 'listening') finish();
      else if (event.type === 'error') finish(new Error(`camera process failed: ${event.message}`));
    };
    const onExit = (code: number | null): void => finish(new Error(`camera process exited (code ${code ?? 'none'}) before listening`));
    const timer = setTimeout(() => finish(new Error(`camera process did not listen within ${LISTEN_TIMEOUT_MS} ms`)), LISTEN_TIMEOUT_MS);
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(start);
  });
}
