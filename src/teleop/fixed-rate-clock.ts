import { monotonicNs } from '../common/clock.js';

/** How long before a tick the timer wakes; the rest of the wait spins on the monotonic clock. */
const SPIN_WINDOW_NS = 1_500_000n;

export interface TickTiming {
  /** Tick index since start. */
  index: number;
  /** Monotonic time the tick was scheduled for and when it actually started, in ns. */
  scheduledNs: bigint;
  startNs: bigint;
  /** Time since the previous tick's start, in ms (0 for the first tick). */
  periodMs: number;
  /** How late the tick started, in ms. */
  latenessMs: number;
}

/**
 * Fixed-rate tick scheduler. `setTimeout` alone wakes up to a few ms late, so it sleeps until
 * 1.5 ms before the tick and spins on the monotonic clock for the rest. A tick that overruns
 * by more than a whole period is not made up: the schedule restarts from now and the skip is
 * counted in `overruns`.
 */
export class FixedRateClock {
  readonly periodNs: bigint;
  overruns = 0;
  #nextNs: bigint;
  #index = 0;
  #previousStartNs: bigint | null = null;

  constructor(hz: number, startNs: bigint = monotonicNs()) {
    this.periodNs = BigInt(Math.round(1e9 / hz));
    this.#nextNs = startNs;
  }

  /** Waits for the next tick and returns its timing. */
  async next(): Promise<TickTiming> {
    const scheduledNs = this.#nextNs;
    const sleepNs = scheduledNs - monotonicNs() - SPIN_WINDOW_NS;
    if (sleepNs >= 1_000_000n) await new Promise((resolve) => setTimeout(resolve, Number(sleepNs / 1_000_000n)));
    while (monotonicNs() < scheduledNs) {
      // Spin for the last stretch: a timer cannot hit the tick to within a millisecond.
    }

    const startNs = monotonicNs();
    const timing: TickTiming = {
      index: this.#index,
      scheduledNs,
      startNs,
      periodMs: this.#previousStartNs === null ? 0 : Number(startNs - this.#previousStartNs) / 1e6,
      latenessMs: Number(startNs - scheduledNs) / 1e6,
    };

    this.#index += 1;
    this.#previousStartNs = startNs;
    this.#nextNs = scheduledNs + this.periodNs;
    if (startNs > this.#nextNs) {
      this.overruns += 1;
      this.#nextNs = startNs + this.periodNs;
    }
    return timing;
  }
}
