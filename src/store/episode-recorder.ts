import type { Worker } from 'node:worker_threads';
import { monotonicNs } from '../common/clock.js';
import { UserError } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { siblingModuleUrl, startWorker } from '../common/worker.js';
import type {
  CameraStats,
  EpisodeMeta,
  EpisodeOutcome,
  FrameSample,
  InferenceSample,
  StepSample,
} from './episode-types.js';
import { RecordingBatchBuilder } from './recording-batch.js';
import type { WriterInit, WriterReply, WriterRequest } from './writer-messages.js';

const log = createLogger('episode-recorder');

export interface RecorderOptions {
  /** How often queued rows are committed, in milliseconds (default 100). */
  flushIntervalMs?: number;
  /** Caps the database at this many pages on the writer's connection (PRAGMA max_page_count). */
  maxPageCount?: number;
  /** Called once when writing fails. The recording then stops, and stop() rejects with the same error. */
  onError?: (error: Error) => void;
}

/** Batches posted but not yet committed before the recorder warns that the disk is too slow. */
const BACKLOG_WARNING_BATCHES = 20;

/**
 * Records one episode without doing I/O on the control loop's thread. The add methods only copy
 * the sample into the current batch. Every flush interval the batch is posted (buffers
 * transferred) to a writer thread that owns its own database connection and commits the batch
 * in one transaction. A crash loses at most the batches not yet committed. The episode keeps
 * incomplete = 1 until stop() finishes it.
 */
export class EpisodeRecorder {
  readonly episodeId: number;
  readonly path: string;
  readonly #worker: Worker;
  readonly #onError: ((error: Error) => void) | undefined;
  readonly #timer: NodeJS.Timeout;
  readonly #batch = new RecordingBatchBuilder();
  readonly #frameCounts = new Map<string, number>();
  #stepsQueued = 0;
  #inferencesQueued = 0;
  #stepsWritten = 0;
  #batchesInFlight = 0;
  #backlogWarned = false;
  #error: Error | undefined;
  #stopping: Promise<number> | undefined;
  readonly #exited: Promise<void>;

  private constructor(path: string, episodeId: number, worker: Worker, options: RecorderOptions) {
    this.path = path;
    this.episodeId = episodeId;
    this.#worker = worker;
    this.#onError = options.onError;

    worker.on('message', (reply: WriterReply) => this.#handleReply(reply));
    worker.on('error', (error) => this.#fail(error));
    this.#exited = new Promise((resolve) => {
      worker.on('exit', (code) => {
        if (!this.#stopping) this.#fail(new Error(`episode ${episodeId}: writer thread exited with code ${code}`));
        resolve();
      });
    });

    this.#timer = setInterval(() => this.flush(), options.flushIntervalMs ?? 100);
    this.#timer.unref();
  }

  /** Creates the episode in the database at `path` and starts its writer thread. */
  static async start(path: string, meta: EpisodeMeta, options: RecorderOptions = {}): Promise<EpisodeRecorder> {
    const init: WriterInit = { path, meta, maxPageCount: options.maxPageCount };
    const worker = startWorker(siblingModuleUrl(import.meta.url, 'episode-writer-worker'), init);

    const episodeId = await waitForReady(worker);
    log.info(`episode ${episodeId}: recording ${meta.kind} "${meta.task}" at ${meta.fps} fps into ${path}`);
    return new EpisodeRecorder(path, episodeId, worker, options);
  }

  /** Number of steps added so far, which is also the index of the next step. */
  get stepsQueued(): number {
    return this.#stepsQueued;
  }

  /** Steps committed to the database so far (indices 0 to stepsWritten - 1). */
  get stepsWritten(): number {
    return this.#stepsWritten;
  }

  /** The error that stopped the recording, if writing failed. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Queues one control tick and returns its step index. Throws once the recording has failed or stopped. */
  addStep(step: StepSample): number {
    this.#checkOpen();
    this.#batch.addStep(step);
    return this.#stepsQueued++;
  }

  /** Queues one camera frame and returns its index among that camera's frames. */
  addFrame(frame: FrameSample): number {
    this.#checkOpen();
    const index = this.#frameCounts.get(frame.camera) ?? 0;
    this.#batch.addFrame({ ...frame, index });
    this.#frameCounts.set(frame.camera, index + 1);
    return index;
  }

  /** Queues one policy inference and returns its index. */
  addInference(inference: InferenceSample): number {
    this.#checkOpen();
    this.#batch.addInference({ ...inference, index: this.#inferencesQueued });
    return this.#inferencesQueued++;
  }

  /** Queues a camera's statistics. Of several calls between two flushes, the last one is stored. */
  setCameraStats(camera: string, stats: CameraStats): void {
    this.#checkOpen();
    this.#batch.setCameraStats(camera, stats);
  }

  /** Posts the rows queued since the last flush to the writer thread. Runs on the flush timer. */
  flush(): void {
    if (this.#error || this.#batch.isEmpty) return;

    const { batch, transfer } = this.#batch.take();
    const request: WriterRequest = { type: 'batch', batch };
    this.#worker.postMessage(request, transfer);
    this.#batchesInFlight++;

    if (this.#batchesInFlight >= BACKLOG_WARNING_BATCHES && !this.#backlogWarned) {
      this.#backlogWarned = true;
      log.warn(`episode ${this.episodeId}: ${this.#batchesInFlight} batches wait to be written: the disk is slower than recording`);
    }
  }

  /**
   * Flushes the queue, marks the episode complete (with `outcome` if given) and ends the writer
   * thread. Resolves with the number of steps written. Rejects with the write error if writing
   * failed, and then the episode stays incomplete.
   */
  stop(options: { endNs?: bigint; outcome?: EpisodeOutcome } = {}): Promise<number> {
    this.#stopping ??= this.#stop(options.endNs ?? monotonicNs(), options.outcome);
    return this.#stopping;
  }

  async #stop(endNs: bigint, outcome: EpisodeOutcome | undefined): Promise<number> {
    clearInterval(this.#timer);
    this.flush();

    const request: WriterRequest = { type: 'finish', endNs, outcome };
    this.#worker.postMessage(request);
    await this.#exited;

    if (this.#error) throw this.#error;
    log.info(`episode ${this.episodeId}: stopped, ${this.#stepsWritten} steps written`);
    return this.#stepsWritten;
  }

  #handleReply(reply: WriterReply): void {
    if (reply.type === 'failed') {
      this.#stepsWritten = reply.stepsWritten;
      this.#fail(reply.userError ? new UserError(reply.message) : new Error(reply.message));
      return;
    }
    if (reply.type === 'committed') {
      this.#stepsWritten = reply.stepsWritten;
      this.#batchesInFlight--;
      return;
    }
    if (reply.type === 'finished') this.#stepsWritten = reply.stepsWritten;
  }

  #fail(error: Error): void {
    if (this.#error) return;
    this.#error = error;
    clearInterval(this.#timer);
    log.error(error.message);
    this.#onError?.(error);
  }

  #checkOpen(): void {
    if (this.#error) throw this.#error;
    if (this.#stopping) throw new Error(`episode ${this.episodeId}: recorder is stopped, start a new one to record again`);
  }
}

/** Waits for the writer thread's `ready`, then removes the listeners it added. */
function waitForReady(worker: Worker): Promise<number> {
  let onMessage: (reply: WriterReply) => void = () => undefined;
  let onError: (error: Error) => void = () => undefined;
  let onExit: (code: number) => void = () => undefined;

  const ready = new Promise<number>((resolve, reject) => {
    onMessage = (reply) => {
      if (reply.type === 'ready') resolve(reply.episodeId);
      else if (reply.type === 'failed') reject(reply.userError ? new UserError(reply.message) : new Error(reply.message));
      else reject(new Error(`episode writer sent ${reply.type} before ready`));
    };
    onError = reject;
    onExit = (code) => reject(new Error(`episode writer thread exited with code ${code} while starting`));
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });

  // Worker.removeAllListeners() would also drop the internal listeners that deliver messages.
  return ready.finally(() => worker.off('message', onMessage).off('error', onError).off('exit', onExit));
}
