import type { EventEmitter } from 'node:events';
import type { LoopStats } from '../teleop/control-loop.js';
import type { StepSample } from '../store/episode-types.js';
import type { LoopStatus, RigActivity } from './api.js';
import type { RigSession } from './rig-session.js';
import type { ServiceEvents } from './service-events.js';

/** Joint samples sent to the UI per second, at most; the loop itself runs at the rig's rate. */
export const JOINTS_EVENT_HZ = 20;
const STATUS_INTERVAL_MS = 500;

/** A running control loop as the monitor sees it: 'step' events and its counters. */
export interface MonitoredLoop extends EventEmitter {
  readonly stats: LoopStats;
}

/**
 * Watches one running control loop and turns its ticks into UI streams: 'joints' at most
 * JOINTS_EVENT_HZ times per second, and 'loop' (rate, overruns, dropped frames) twice per second.
 */
export class LoopMonitor {
  readonly #events: ServiceEvents;
  readonly #session: RigSession;
  #loop: MonitoredLoop | null = null;
  #activity: RigActivity = 'idle';
  #startNs = 0n;
  #lastJointsNs = 0n;
  #recentTicks: bigint[] = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(events: ServiceEvents, session: RigSession) {
    this.#events = events;
    this.#session = session;
  }

  attach(loop: MonitoredLoop, activity: RigActivity, startNs: bigint): void {
    this.detach();
    this.#loop = loop;
    this.#activity = activity;
    this.#startNs = startNs;
    this.#lastJointsNs = 0n;
    this.#recentTicks = [];
    loop.on('step', this.#onStep);
    this.#timer = setInterval(() => this.#events.emit('loop', this.status()), STATUS_INTERVAL_MS);
    this.#timer.unref();
  }

  detach(): void {
    this.#loop?.off('step', this.#onStep);
    this.#loop = null;
    this.#activity = 'idle';
    this.#recentTicks = [];
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#events.emit('loop', this.status());
  }

  status(): LoopStatus {
    const stats = this.#loop?.stats;
    const cameraStats = this.#session.cameras?.stats() ?? {};
    return {
      running: this.#loop !== null,
      activity: this.#activity,
      rateHz: this.#rateHz(),
      ticks: stats?.ticks ?? 0,
      overruns: stats?.overruns ?? 0,
      maxLatenessMs: stats?.maxLatenessMs ?? 0,
      droppedFrames: Object.fromEntries(Object.entries(cameraStats).map(([camera, value]) => [camera, value.dropped])),
    };
  }

  readonly #onStep = (step: StepSample): void => {
    this.#recentTicks.push(step.tNs);
    while (this.#recentTicks.length > 0 && step.tNs - this.#recentTicks[0]! > 1_000_000_000n) this.#recentTicks.shift();

    if (step.tNs - this.#lastJointsNs < BigInt(Math.round(1e9 / JOINTS_EVENT_HZ))) return;
    this.#lastJointsNs = step.tNs;
    this.#events.emit('joints', {
      tS: Number(step.tNs - this.#startNs) / 1e9,
      state: Array.from(step.observationState),
      action: Array.from(step.action),
    });
  };

  #rateHz(): number {
    const ticks = this.#recentTicks;
    if (ticks.length < 2) return 0;
    const spanS = Number(ticks[ticks.length - 1]! - ticks[0]!) / 1e9;
    return spanS > 0 ? (ticks.length - 1) / spanS : 0;
  }
}
