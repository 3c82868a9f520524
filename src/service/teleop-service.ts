import { EventEmitter } from 'node:events';
import { monotonicNs } from '../common/clock.js';
import { createLogger } from '../common/log.js';
import type { StepSample } from '../store/episode-types.js';
import { ControlLoop } from '../teleop/control-loop.js';
import { teleopSource } from '../teleop/teleop-source.js';
import type { LoopStatus, TeleopApi } from './api.js';
import type { LoopMonitor } from './loop-monitor.js';
import type { RigSession } from './rig-session.js';

const log = createLogger('teleop');

/**
 * Teleoperation: the followers track the leaders in a fixed-rate control loop on the service's
 * thread (never a window's). Emits 'step' (StepSample) for the recorder and 'stopped' (Error or
 * null) when the loop ends.
 */
export class TeleopService extends EventEmitter implements TeleopApi {
  readonly #session: RigSession;
  readonly #monitor: LoopMonitor;
  #loop: ControlLoop | null = null;
  #release: (() => void) | null = null;

  constructor(session: RigSession, monitor: LoopMonitor) {
    super();
    this.#session = session;
    this.#monitor = monitor;
  }

  get running(): boolean {
    return this.#loop !== null;
  }

  async start(): Promise<LoopStatus> {
    if (this.#loop) return this.#monitor.status();
    const connection = this.#session.requireConnection();
    const release = this.#session.claim('teleop', () => this.#stopLoop());

    const loop = new ControlLoop(connection, { readLeaders: true, source: teleopSource(connection.rig) });
    loop.on('step', (step: StepSample) => this.emit('step', step));
    loop.once('error', (error: Error) => {
      log.error(`teleop stopped: ${error.message}`);
      void this.#stopLoop(error);
    });

    try {
      await loop.start();
    } catch (error) {
      release();
      throw error;
    }
    this.#loop = loop;
    this.#release = release;
    this.#session.noteTorque('left_follower', true);
    this.#session.noteTorque('right_follower', true);
    this.#monitor.attach(loop, 'teleop', monotonicNs());
    log.info(`teleop started at ${connection.rig.fps} Hz`);
    return this.#monitor.status();
  }

  async stop(): Promise<LoopStatus> {
    await this.#stopLoop();
    return this.#monitor.status();
  }

  async status(): Promise<LoopStatus> {
    return this.#monitor.status();
  }

  async #stopLoop(error: Error | null = null): Promise<void> {
    const loop = this.#loop;
    if (!loop) return;
    this.#loop = null;
    await loop.stop();

    const rig = loop.connection.rig;
    if (rig.onStop === 'limp') {
      this.#session.noteTorque('left_follower', false);
      this.#session.noteTorque('right_follower', false);
    }
    this.#monitor.detach();
    this.#release?.();
    this.#release = null;
    log.info(`teleop stopped after ${loop.stats.ticks} ticks, ${loop.stats.overruns} overruns`);
    this.emit('stopped', error);
  }
}
