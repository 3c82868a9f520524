import { monotonicNs } from '../common/clock.js';

/** Below this much remaining time the scheduler polls with setImmediate instead of a timer. */
const POLL_WINDOW_NS = 2_000_000n;
/** A timer is set this much before the due time, because setTimeout fires up to ~1 ms late. */
const TIMER_LEAD_NS = 1_500_000n;

interface Pending {
  atNs: bigint;
  bytes: Buffer;
}

/**
 * Writes byte blocks at given monotonic times, each no earlier than its time and usually
 * within about 0.1 ms after it. setTimeout alone fires at ~1 ms granularity, so a timer
 * brings the loop close to the due time and setImmediate polls the clock from there.
 */
export class ReplyScheduler {
  readonly #write: (bytes: Buffer) => void;
  readonly #now: () => bigint;
  #queue: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #closed = false;

  constructor(write: (bytes: Buffer) => void, now: () => bigint = monotonicNs) {
    this.#write = write;
    this.#now = now;
  }

  /** Number of blocks still waiting for their time. */
  get pending(): number {
    return this.#queue.length;
  }

  schedule(atNs: bigint, bytes: Buffer): void {
    if (this.#closed) return;
    const index = this.#queue.findIndex((entry) => entry.atNs > atNs);
    if (index < 0) this.#queue.push({ atNs, bytes });
    else this.#queue.splice(index, 0, { atNs, bytes });
    this.#wake();
  }

  /** Drops everything still waiting and stops the timers. */
  close(): void {
    this.#closed = true;
    this.#queue = [];
    this.#clearWakeups();
  }

  #wake(): void {
    this.#clearWakeups();
    this.#pump();
  }

  #pump = (): void => {
    this.#timer = undefined;
    this.#immediate = undefined;

    const now = this.#now();
    const due: Buffer[] = [];
    while (this.#queue.length > 0 && this.#queue[0]!.atNs <= now) due.push(this.#queue.shift()!.bytes);
    if (due.length > 0) this.#write(due.length === 1 ? due[0]! : Buffer.concat(due));

    const next = this.#queue[0];
    if (!next || this.#closed) return;
    const remaining = next.atNs - now;
    if (remaining > POLL_WINDOW_NS) {
      this.#timer = setTimeout(this.#pump, Number((remaining - TIMER_LEAD_NS) / 1_000_000n));
    } else {
      this.#immediate = setImmediate(this.#pump);
    }
  };

  #clearWakeups(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }
}
