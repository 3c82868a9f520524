import type { CameraStatsSnapshot } from '../camera/camera-types.js';
import { errorMessage } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import type { StageTimings } from '../policy/policy-types.js';

const log = createLogger('rollout-telemetry');

/** Follower state after an emergency stop: torque on at their present position, or torque off. */
export type EmergencyStopBehaviour = 'hold' | 'release';

/** Cause of a rollout's end. */
export type RolloutStopReason = 'time' | 'signal' | 'estop' | 'watchdog' | 'policy-error' | 'loop-error' | 'recording-error';

/** Totals of a finished rollout, as the CLI prints them. */
export interface RolloutSummary {
  episodeId: number;
  task: string;
  steps: number;
  inferences: number;
  /** Mean k* over the inferences, null without any. */
  meanKStar: number | null;
  meanHorizon: number | null;
  /** Held ticks after the first chunk landed, waiting for the policy. */
  waitTicks: number;
  /** Held ticks before the first chunk landed. */
  startupTicks: number;
  /** Chunks rejected because they held NaN, infinite or missing values. */
  rejectedChunks: number;
  meanLatencyMs: number | null;
  /** 99th percentile (nearest rank) of the control ticks' lateness, null without steps. */
  p99LatenessMs: number | null;
  outcome: 'success' | 'failure' | 'unlabelled';
  /** The simulated scene's verdict text, when the rig is simulated. */
  verdict: string | null;
  stopReason: RolloutStopReason;
  /** Message of the fault that stopped the rollout early (watchdog, policy, loop or recording error). */
  fault: string | null;
}

/**
 * Live events of a rollout, one object per event with a `type` tag. Times are seconds since the
 * rollout's first tick (monotonic clock), so the events survive JSON and structured cloning.
 * The `tick` of 'rejected', 'estop' and 'watchdog' events is the control loop's tick index.
 */
export type RolloutEvent =
  | { type: 'started'; task: string; controlHz: number; policy: unknown }
  /** One recorded step (`tick` is its step index): follower state and the targets sent, in vector order and joint units. */
  | { type: 'tick'; tick: number; timeS: number; state: number[]; action: number[]; holding: boolean; latenessMs: number; periodMs: number; waitTicks: number }
  /** One inference, reported on the tick its chunk took over the queue; the *AtStep fields are step indices. */
  | {
      type: 'inference';
      index: number;
      kStar: number;
      horizon: number;
      trace: number[];
      timingsMs: StageTimings;
      /** Launch to arrival on the control thread, in milliseconds. */
      latencyMs: number;
      launchedAtStep: number;
      appliedAtStep: number;
      skipped: number;
      waitedTicks: number;
    }
  /** A stretch of held ticks waiting for the policy, reported when it ends. */
  | { type: 'wait'; fromTick: number; ticks: number }
  | { type: 'cameras'; timeS: number; cameras: Record<string, CameraStatsSnapshot> }
  /** A chunk that did not reach the arms. */
  | { type: 'rejected'; tick: number; reason: string }
  | { type: 'estop'; tick: number; behaviour: EmergencyStopBehaviour }
  | { type: 'watchdog'; tick: number; message: string }
  | { type: 'stopped'; summary: RolloutSummary };

export type RolloutListener = (event: RolloutEvent) => void;

export interface SubscribeOptions {
  /** Most 'tick' events per second this listener receives; every tick when absent. */
  tickHz?: number;
}

interface Subscriber {
  listener: RolloutListener;
  tickIntervalS: number;
  nextTickDueS: number;
}

/**
 * Fan-out of rollout events to the UI service, the CLI and tests. Listeners run synchronously
 * on the control loop's thread, so they must return quickly. A listener that requests fewer
 * 'tick' events gets one whenever its interval has passed; every other event reaches every
 * listener. A throwing listener is logged and does not stop the rollout.
 */
export class RolloutTelemetry {
  readonly #subscribers = new Set<Subscriber>();

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: RolloutListener, options: SubscribeOptions = {}): () => void {
    const hz = options.tickHz;
    if (hz !== undefined && !(hz > 0)) throw new Error(`tickHz must be positive, got ${hz}`);
    const subscriber: Subscriber = { listener, tickIntervalS: hz === undefined ? 0 : 1 / hz, nextTickDueS: 0 };
    this.#subscribers.add(subscriber);
    return () => this.#subscribers.delete(subscriber);
  }

  emit(event: RolloutEvent): void {
    for (const subscriber of this.#subscribers) {
      if (event.type === 'tick' && !takeTick(subscriber, event.timeS)) continue;
      try {
        subscriber.listener(event);
      } catch (error) {
        log.error(`a rollout listener failed on a '${event.type}' event: ${errorMessage(error)}`);
      }
    }
  }
}

/** Rate limit: deliver once the due time has come, then move it one interval on (one interval past now after a gap). */
function takeTick(subscriber: Subscriber, timeS: number): boolean {
  if (subscriber.tickIntervalS === 0) return true;
  if (timeS < subscriber.nextTickDueS) return false;
  const next = subscriber.nextTickDueS + subscriber.tickIntervalS;
  subscriber.nextTickDueS = next > timeS ? next : timeS + subscriber.tickIntervalS;
  return true;
}
