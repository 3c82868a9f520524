import { monotonicNs } from '../common/clock.js';

/** Below this much remaining time the pump stops using timers and sleeps in short slices. */
const SLICE_WINDOW_NS = 2_000_000n;
/** A timer is set this much before the due time, because setTimeout fires up to ~1 ms late. */
const TIMER_LEAD_NS = 1_500_000n;
/** Maximum sleep between two passes over incoming I/O while a write is close to due. */
const SLEEP_SLICE_MS = 0.1;

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

interface Pending {
  atNs: bigint;
  bytes: Buffer;
}

/**
 * Writes byte blocks at given monotonic times, each no earlier than its time and usually
 * within about 0.1 ms after it. setTimeout alone fires at ~1 ms granularity, so a timer
 * brings the process close to the earliest due time. From there a shared pump sleeps in
 * slices of at most 0.1 ms with Atomics.wait, which gives the CPU away instead of
 * spinning, and lets the event loop take in I/O between slices.
 */
export class ReplyScheduler {
  readonly #write: (bytes: Buffer) => void;
  #queue: Pending[] = [];
  #closed = false;

  constructor(write: (bytes: Buffer) => void) {
    this.#write = write;
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
    active.add(this);
    wakePump();
  }

  /** Drops everything still waiting. */
  close(): void {
    this.#closed = true;
    this.#queue = [];
    active.delete(this);
  }

  /** Writes what is due at `nowNs`; returns the next due time, or undefined when nothing is left. */
  flush(nowNs: bigint): bigint | undefined {
    const due: Buffer[] = [];
    while (this.#queue.length > 0 && this.#queue[0]!.atNs <= nowNs) due.push(this.#queue.shift()!.bytes);
    if (due.length > 0) this.#write(due.length === 1 ? due[0]! : Buffer.concat(due));
    if (this.#queue.length === 0) active.delete(this);
    return this.#queue[0]?.atNs;
  }
}

const active = new Set<ReplyScheduler>();
let timer: NodeJS.Timeout | undefined;
let immediate: NodeJS.Immediate | undefined;

/** Restarts the pump on the next turn of the event loop, so `schedule` itself never writes. */
function wakePump(): void {
  if (timer) clearTimeout(timer);
  timer = undefined;
  immediate ??= setImmediate(pump);
}

/**
 * Writes every due block of every scheduler in the process. A single pump serves them all,
 * so several buses never take turns sleeping.
 */
function pump(): void {
  timer = undefined;
  immediate = undefined;

  const now = monotonicNs();
  const next = flushAll(now);
  if (next === undefined) return;

  const remaining = next - now;
  if (remaining > SLICE_WINDOW_NS) {
    timer = setTimeout(pump, Number((remaining - TIMER_LEAD_NS) / 1_000_000n));
    return;
  }

  Atomics.wait(sleepCell, 0, 0, Math.min(Number(remaining) / 1e6, SLEEP_SLICE_MS));
  if (flushAll(monotonicNs()) !== undefined) immediate = setImmediate(pump);
}

function flushAll(nowNs: bigint): bigint | undefined {
  let next: bigint | undefined;
  for (const scheduler of [...active]) {
    const due = scheduler.flush(nowNs);
    if (due !== undefined && (next === undefined || due < next)) next = due;
  }
  return next;
}
