/**
 * Tick-by-tick scheduling of action chunks, with no I/O: which action the followers get on a
 * tick, when the next inference starts, and how an arriving chunk replaces the queue.
 *
 * Rules:
 * - Launch: an inference starts on the first tick whose remaining queue (after this tick's
 *   action) lasts less than the latency estimate plus the margin, i.e. remaining <
 *   ceil((latency + margin) / period). The latency estimate is the largest of the last few
 *   measured round trips. At most `maxLeadTicks` actions may remain at a launch. With an
 *   empty queue, an inference starts at once.
 * - Landing: a chunk that arrives between two ticks takes over from the next tick. Its action
 *   i is the target for the i-th executed tick counted from the launch tick, so the actions
 *   the arm executed from the old queue since the launch are skipped. Ticks on which the arm
 *   held position do not advance the plan, because the arm did not move on them.
 * - Horizon: after the skipped actions the chunk queues `horizon` actions, fewer where the
 *   chunk ends first. So the policy replans every `horizon` executed ticks whatever the
 *   latency. With n = ceil((latency + margin) / period), the arm does not wait as long as the
 *   latency estimate covers the real latency, n <= horizon, n <= maxLeadTicks + 1 and
 *   2n <= chunkSize + 1: the chunk then still holds n actions after skipping n - 1. Fewer
 *   than chunkSize actions ever remain at a launch, so a chunk always has an action left.
 * - Waiting: on a tick with an empty queue the followers keep their targets, and the tick is
 *   counted against the inference in flight. Ticks before the first chunk lands count as
 *   start-up, not as waits.
 */

/** One predicted chunk, row-major chunkSize x actionSize. */
export interface PlannedChunk {
  actions: Float32Array;
  chunkSize: number;
  actionSize: number;
  /** Actions to execute before the next chunk takes over (the execution horizon). */
  horizon: number;
}

export interface ChunkPipelineOptions {
  /** Control period in milliseconds. */
  periodMs: number;
  /** Time added to the latency estimate when deciding when to launch, in milliseconds. */
  marginMs: number;
  /** Most queued actions that may remain when an inference launches; chunkSize - shortest horizon keeps every horizon whole. */
  maxLeadTicks: number;
  /** A first latency sample, e.g. of a warm-up inference, in milliseconds; it counts in the estimate until the window moves past it. */
  initialLatencyMs: number;
  /** How many recent round trips the latency estimate covers (default 5). */
  latencyWindow?: number;
}

/** A chunk that took over the queue, reported on the tick it was applied. */
export interface AppliedChunk {
  chunk: PlannedChunk;
  launchTick: number;
  /** Tick the chunk took over on. */
  appliedTick: number;
  /** Leading actions skipped because the arm executed the old queue meanwhile. */
  skipped: number;
  /** Actions queued from this chunk: the horizon, fewer where the chunk ends. */
  queued: number;
  /** Ticks the followers held while this inference ran (start-up ticks for the first chunk). */
  waitedTicks: number;
  latencyMs: number;
}

export interface TickPlan {
  /** The action row to execute (a view into the chunk), or null to hold. */
  action: Float32Array | null;
  /** True when the caller must launch an inference with this tick's observation now. */
  launch: boolean;
  /** The chunk applied on this tick. */
  applied: AppliedChunk | null;
  /** True when the followers hold because the queue is empty after the first chunk. */
  waiting: boolean;
  /** True when the followers hold because the first chunk has not arrived. */
  startingUp: boolean;
}

interface InFlight {
  launchTick: number;
  /** Actions executed from the old queue since the launch. */
  executedSinceLaunch: number;
  waitedTicks: number;
}

interface Queue {
  chunk: PlannedChunk;
  next: number;
  end: number;
}

export class ChunkPipeline {
  readonly #options: ChunkPipelineOptions;
  readonly #latencies: number[] = [];
  #queue: Queue | null = null;
  #inFlight: InFlight | null = null;
  #arrived: { chunk: PlannedChunk; latencyMs: number } | null = null;
  #firstChunkApplied = false;
  waitTicks = 0;
  startupTicks = 0;

  constructor(options: ChunkPipelineOptions) {
    if (!(options.periodMs > 0)) throw new Error(`control period must be positive, got ${options.periodMs} ms`);
    if (!Number.isInteger(options.maxLeadTicks) || options.maxLeadTicks < 0) throw new Error(`maxLeadTicks must be a non-negative integer, got ${options.maxLeadTicks}`);
    this.#options = options;
    this.recordLatency(options.initialLatencyMs);
  }

  /** Latency estimate used for launch decisions: the largest recent round trip, in milliseconds. */
  get latencyEstimateMs(): number {
    return Math.max(...this.#latencies);
  }

  /** Queued actions this many ticks or fewer trigger a launch. */
  get leadTicks(): number {
    const ticks = Math.ceil((this.latencyEstimateMs + this.#options.marginMs) / this.#options.periodMs);
    return Math.max(1, Math.min(ticks, this.#options.maxLeadTicks + 1));
  }

  get inFlight(): boolean {
    return this.#inFlight !== null;
  }

  /** Actions still queued. */
  get remaining(): number {
    return this.#queue === null ? 0 : this.#queue.end - this.#queue.next;
  }

  /** Records a round trip measured outside an inference of this pipeline (e.g. a warm-up). */
  recordLatency(latencyMs: number): void {
    this.#latencies.push(latencyMs);
    if (this.#latencies.length > (this.#options.latencyWindow ?? 5)) this.#latencies.shift();
  }

  /** Hands over the chunk of the inference in flight; it takes over on the next tick. */
  land(chunk: PlannedChunk, latencyMs: number): void {
    if (this.#inFlight === null) throw new Error('a chunk landed with no inference in flight');
    this.recordLatency(latencyMs);
    this.#arrived = { chunk, latencyMs };
  }

  /** Forgets the inference in flight after it failed or its chunk was rejected; the next tick launches again. */
  abandon(): void {
    this.#inFlight = null;
    this.#arrived = null;
  }

  /** Plans one control tick. */
  tick(index: number): TickPlan {
    const applied = this.#applyArrived(index);

    let action: Float32Array | null = null;
    if (this.#queue !== null && this.#queue.next < this.#queue.end) {
      const { chunk, next } = this.#queue;
      action = chunk.actions.subarray(next * chunk.actionSize, (next + 1) * chunk.actionSize);
      this.#queue.next += 1;
      if (this.#inFlight !== null) this.#inFlight.executedSinceLaunch += 1;
    }

    const startingUp = action === null && !this.#firstChunkApplied;
    const waiting = action === null && this.#firstChunkApplied;
    if (startingUp) this.startupTicks += 1;
    if (waiting) this.waitTicks += 1;

    const launch = this.#inFlight === null && this.remaining < this.leadTicks;
    if (launch) this.#inFlight = { launchTick: index, executedSinceLaunch: 0, waitedTicks: 0 };
    if (action === null && this.#inFlight !== null) this.#inFlight.waitedTicks += 1;
    return { action, launch, applied, waiting, startingUp };
  }

  #applyArrived(index: number): AppliedChunk | null {
    if (this.#arrived === null || this.#inFlight === null) return null;
    const { chunk, latencyMs } = this.#arrived;
    const flight = this.#inFlight;
    this.#arrived = null;
    this.#inFlight = null;

    const skipped = flight.executedSinceLaunch;
    const end = Math.min(skipped + chunk.horizon, chunk.chunkSize);
    this.#queue = { chunk, next: skipped, end };
    this.#firstChunkApplied = true;
    return {
      chunk,
      launchTick: flight.launchTick,
      appliedTick: index,
      skipped,
      queued: end - skipped,
      waitedTicks: flight.waitedTicks,
      latencyMs,
    };
  }
}
