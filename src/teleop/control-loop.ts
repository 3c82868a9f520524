import { EventEmitter } from 'node:events';
import { monotonicNs } from '../common/clock.js';
import { errorMessage } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { motorToVectorOrder, rawToVector, sideOffset, vectorSize, vectorToRaw } from '../rig/joint-layout.js';
import type { ArmState, RigConnection } from '../rig/rig-connection.js';
import type { RigConfig, Side } from '../rig/rig-config.js';
import type { StepSample } from '../store/episode-types.js';
import { FixedRateClock } from './fixed-rate-clock.js';
import { NoStatusPacketError } from '../bus/bus-errors.js';

const log = createLogger('control-loop');
const SIDES: readonly Side[] = ['left', 'right'];

interface FollowerStates {
  left: ArmState;
  right: ArmState;
}

/** Input of an action source on each tick. */
export interface TickInput {
  index: number;
  tNs: bigint;
  /** Follower joint positions in vector order. */
  state: Float32Array;
  /** Leader joint positions in vector order, when the loop reads the leaders. */
  leader: Float32Array | null;
  /** The targets sent on the previous tick (the follower positions before the first tick). */
  previousAction: Float32Array;
}

/**
 * Decides the follower targets of one tick, in vector order and joint units. It returns null to
 * hold the previous targets. It runs on the loop's thread, so it must return quickly.
 */
export type ActionSource = (input: TickInput) => Float32Array | null;

export interface ControlLoopOptions {
  /** Read the leader arms every tick (teleop) or not (autonomous rollouts). */
  readLeaders: boolean;
  source: ActionSource;
  /** Control rate in Hz; the rig file's fps by default. */
  hz?: number;
  /**
   * Ticks in a row that may fail with a missing status packet before the loop stops. A skipped
   * tick records no step and the followers keep their last target.
   */
  missedTickLimit?: number;
}

/** A USB adapter or a busy host can lose one transaction; a motor that stays silent stops the loop. */
const DEFAULT_MISSED_TICK_LIMIT = 3;

/** Follower behaviour when the loop stops: torque on at their present position, or limp (torque off). */
export type StopBehaviour = RigConfig['onStop'];

export interface LoopStats {
  ticks: number;
  /** Ticks skipped because a motor did not respond, see `missedTickLimit`. */
  missedTicks: number;
  overruns: number;
  maxLatenessMs: number;
}

/**
 * Fixed-rate control loop over a rig's four buses. Each tick reads the leaders (when asked)
 * and both followers' state in parallel, one Sync Read per bus, asks the action source for
 * targets, and sends one Sync Write per follower bus. Follower torque is on only while the
 * loop runs. When it stops or a bus fails, the followers hold position or go limp, as the rig
 * file's `onStop` says. Emits 'step' (StepSample) after every tick and 'error' (Error) once
 * if a tick fails.
 */
export class ControlLoop extends EventEmitter {
  readonly connection: RigConnection;
  readonly stats: LoopStats = { ticks: 0, missedTicks: 0, overruns: 0, maxLatenessMs: 0 };
  readonly #options: ControlLoopOptions;
  #running: Promise<void> | null = null;
  #stopRequested = false;
  #stopBehaviour: StopBehaviour | null = null;

  constructor(connection: RigConnection, options: ControlLoopOptions) {
    super();
    this.connection = connection;
    this.#options = options;
  }

  get running(): boolean {
    return this.#running !== null;
  }

  /** Enables follower torque at the followers' present position and starts ticking. */
  async start(): Promise<void> {
    if (this.#running) throw new Error('control loop is already running');
    const startState = await this.#readFollowers();
    for (const side of SIDES) {
      const arm = `${side}_follower` as const;
      await this.connection.writeGoals(arm, startState[side].positionRaw);
      await this.connection.setTorque(arm, true);
    }
    this.#stopRequested = false;
    this.#stopBehaviour = null;
    const previous = Float32Array.from(this.#followerVector(startState));
    this.#running = this.#run(previous).finally(() => {
      this.#running = null;
    });
  }

  /**
   * Stops after the current tick and applies `behaviour`, the rig's `onStop` by default. A stop
   * requested while the loop waits for the next tick ends it at that tick, before any bus
   * traffic. The last behaviour asked for before the loop ends is the one applied.
   */
  async stop(behaviour?: StopBehaviour): Promise<void> {
    if (behaviour !== undefined) this.#stopBehaviour = behaviour;
    this.#stopRequested = true;
    await this.#running;
  }

  async #run(initialAction: Float32Array): Promise<void> {
    const rig = this.connection.rig;
    const clock = new FixedRateClock(this.#options.hz ?? rig.fps);
    let previousAction = initialAction;
    let failure: Error | null = null;
    const missedTickLimit = this.#options.missedTickLimit ?? DEFAULT_MISSED_TICK_LIMIT;
    let consecutiveMisses = 0;

    while (!this.#stopRequested) {
      const timing = await clock.next();
      if (this.#stopRequested) break;
      try {
        const [followers, leader] = await Promise.all([this.#readFollowers(), this.#options.readLeaders ? this.#readLeaders() : Promise.resolve(null)]);
        const state = Float32Array.from(this.#followerVector(followers));
        const proposed = this.#options.source({ index: timing.index, tNs: timing.startNs, state, leader, previousAction });
        const action = proposed ?? previousAction;
        await Promise.all(SIDES.map((side) => this.#writeSide(side, action)));

        const busMs = Number(monotonicNs() - timing.startNs) / 1e6;
        const step: StepSample = {
          tNs: timing.startNs,
          observationState: state,
          action: Float32Array.from(action),
          followerVelocity: Float32Array.from(this.#followerReadings(followers, 'velocity')),
          followerCurrent: Float32Array.from(this.#followerReadings(followers, 'current')),
          periodMs: timing.periodMs,
          latenessMs: timing.latenessMs,
          busMs,
        };
        previousAction = step.action;
        this.stats.ticks += 1;
        this.stats.overruns = clock.overruns;
        this.stats.maxLatenessMs = Math.max(this.stats.maxLatenessMs, timing.latenessMs);
        this.emit('step', step);
        consecutiveMisses = 0;
      } catch (error) {
        const tickError = error instanceof Error ? error : new Error(errorMessage(error));
        if (tickError instanceof NoStatusPacketError && consecutiveMisses < missedTickLimit) {
          consecutiveMisses += 1;
          this.stats.missedTicks += 1;
          log.warn(`tick ${timing.index} skipped (${consecutiveMisses} of ${missedTickLimit} in a row allowed): ${tickError.message}`);
          continue;
        }
        failure = tickError;
        log.error(`tick ${timing.index} failed: ${failure.message}`);
        break;
      }
    }

    await this.#applyStopBehaviour();
    if (failure) this.emit('error', failure);
  }

  async #readFollowers(): Promise<FollowerStates> {
    const [left, right] = await Promise.all([this.connection.readState('left_follower'), this.connection.readState('right_follower')]);
    return { left, right };
  }

  async #readLeaders(): Promise<Float32Array> {
    const rig = this.connection.rig;
    const [left, right] = await Promise.all([this.connection.readPositions('left_leader'), this.connection.readPositions('right_leader')]);
    return Float32Array.from([...rawToVector(rig.arms.left_leader, left), ...rawToVector(rig.arms.right_leader, right)]);
  }

  #followerVector(followers: FollowerStates): number[] {
    const rig = this.connection.rig;
    return [...rawToVector(rig.arms.left_follower, followers.left.positionRaw), ...rawToVector(rig.arms.right_follower, followers.right.positionRaw)];
  }

  #followerReadings(followers: FollowerStates, field: 'velocity' | 'current'): number[] {
    const rig = this.connection.rig;
    return [...motorToVectorOrder(rig.arms.left_follower, followers.left[field]), ...motorToVectorOrder(rig.arms.right_follower, followers.right[field])];
  }

  #writeSide(side: Side, action: Float32Array): Promise<void> {
    const rig = this.connection.rig;
    const arm = rig.arms[`${side}_follower`];
    const offset = sideOffset(rig, side);
    return this.connection.writeGoals(`${side}_follower`, vectorToRaw(arm, action.subarray(offset, offset + arm.motors.length)));
  }

  async #applyStopBehaviour(): Promise<void> {
    const behaviour = this.#stopBehaviour ?? this.connection.rig.onStop;
    try {
      for (const side of SIDES) {
        const arm = `${side}_follower` as const;
        if (behaviour === 'limp') {
          await this.connection.setTorque(arm, false);
        } else {
          await this.connection.writeGoals(arm, await this.connection.readPositions(arm));
        }
      }
      log.info(`followers ${behaviour === 'limp' ? 'limp (torque off)' : 'holding position'} after ${this.stats.ticks} ticks`);
    } catch (error) {
      log.error(`applying the stop behaviour "${behaviour}" failed: ${errorMessage(error)}: the followers may still be moving to their last target`);
    }
  }
}

export function actionSize(connection: RigConnection): number {
  return vectorSize(connection.rig);
}
