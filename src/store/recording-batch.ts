import type { CameraStats, FrameRecord, InferenceRecord, StepRecord, StepSample } from './episode-types.js';

/** Vectors packed end to end in one buffer. A length of -1 marks an absent vector. */
export interface PackedVectors {
  values: Float32Array;
  lengths: Int32Array;
}

export interface FrameHeader {
  camera: string;
  index: number;
  tNs: bigint;
  width: number;
  height: number;
  byteLength: number;
}

/**
 * Everything recorded between two flushes, in the form posted to the writer thread: vectors and
 * JPEG bytes packed into a few buffers that are transferred, not copied.
 */
export interface RecordingBatch {
  firstStepIndex: number;
  stepTimesNs: bigint[];
  periodMs: number[];
  latenessMs: number[];
  busMs: number[];
  observationState: PackedVectors;
  action: PackedVectors;
  followerVelocity: PackedVectors;
  followerCurrent: PackedVectors;
  frameHeaders: FrameHeader[];
  frameBytes: Uint8Array;
  inferences: InferenceRecord[];
  cameraStats: Array<[camera: string, stats: CameraStats]>;
}

type PackableArray = Float32Array | Uint8Array;

/** Appends arrays into one growing buffer that is reused from batch to batch. */
class PackBuffer<T extends PackableArray> {
  readonly #create: (length: number) => T;
  #values: T;
  #used = 0;

  constructor(create: (length: number) => T) {
    this.#create = create;
    this.#values = create(1024);
  }

  push(array: ArrayLike<number>): void {
    if (this.#used + array.length > this.#values.length) {
      const grown = this.#create(Math.max(this.#values.length * 2, this.#used + array.length));
      grown.set(this.#values.subarray(0, this.#used));
      this.#values = grown;
    }
    this.#values.set(array, this.#used);
    this.#used += array.length;
  }

  /** Returns a copy of the packed values and starts over. The copy's buffer can be transferred. */
  take(): T {
    const packed = this.#values.slice(0, this.#used) as T;
    this.#used = 0;
    return packed;
  }
}

class VectorColumn {
  readonly #values = new PackBuffer((length) => new Float32Array(length));
  #lengths: number[] = [];

  push(vector: Float32Array | null | undefined): void {
    if (!vector) {
      this.#lengths.push(-1);
      return;
    }
    this.#values.push(vector);
    this.#lengths.push(vector.length);
  }

  take(): PackedVectors {
    const packed = { values: this.#values.take(), lengths: Int32Array.from(this.#lengths) };
    this.#lengths = [];
    return packed;
  }
}

/**
 * Collects samples on the control loop's thread. Each add copies the sample's arrays into
 * reused buffers, so the caller may reuse its own arrays on the next tick.
 */
export class RecordingBatchBuilder {
  #firstStepIndex: number;
  #stepTimesNs: bigint[] = [];
  #periodMs: number[] = [];
  #latenessMs: number[] = [];
  #busMs: number[] = [];
  readonly #observationState = new VectorColumn();
  readonly #action = new VectorColumn();
  readonly #followerVelocity = new VectorColumn();
  readonly #followerCurrent = new VectorColumn();
  #frameHeaders: FrameHeader[] = [];
  readonly #frameBytes = new PackBuffer((length) => new Uint8Array(length));
  #inferences: InferenceRecord[] = [];
  #cameraStats = new Map<string, CameraStats>();

  constructor(firstStepIndex = 0) {
    this.#firstStepIndex = firstStepIndex;
  }

  get isEmpty(): boolean {
    return (
      this.#stepTimesNs.length === 0 &&
      this.#frameHeaders.length === 0 &&
      this.#inferences.length === 0 &&
      this.#cameraStats.size === 0
    );
  }

  addStep(step: StepSample): void {
    this.#stepTimesNs.push(step.tNs);
    this.#periodMs.push(step.periodMs);
    this.#latenessMs.push(step.latenessMs);
    this.#busMs.push(step.busMs);
    this.#observationState.push(step.observationState);
    this.#action.push(step.action);
    this.#followerVelocity.push(step.followerVelocity);
    this.#followerCurrent.push(step.followerCurrent);
  }

  addFrame(frame: FrameRecord): void {
    const { camera, index, tNs, width, height } = frame;
    this.#frameHeaders.push({ camera, index, tNs, width, height, byteLength: frame.jpeg.byteLength });
    this.#frameBytes.push(frame.jpeg);
  }

  addInference(inference: InferenceRecord): void {
    this.#inferences.push({ ...inference, trace: [...inference.trace], timings: { ...inference.timings } });
  }

  setCameraStats(camera: string, stats: CameraStats): void {
    this.#cameraStats.set(camera, { ...stats });
  }

  /** Returns the batch collected so far, with the buffers to transfer, and starts the next one. */
  take(): { batch: RecordingBatch; transfer: ArrayBuffer[] } {
    const batch: RecordingBatch = {
      firstStepIndex: this.#firstStepIndex,
      stepTimesNs: this.#stepTimesNs,
      periodMs: this.#periodMs,
      latenessMs: this.#latenessMs,
      busMs: this.#busMs,
      observationState: this.#observationState.take(),
      action: this.#action.take(),
      followerVelocity: this.#followerVelocity.take(),
      followerCurrent: this.#followerCurrent.take(),
      frameHeaders: this.#frameHeaders,
      frameBytes: this.#frameBytes.take(),
      inferences: this.#inferences,
      cameraStats: [...this.#cameraStats],
    };

    this.#firstStepIndex += this.#stepTimesNs.length;
    this.#stepTimesNs = [];
    this.#periodMs = [];
    this.#latenessMs = [];
    this.#busMs = [];
    this.#frameHeaders = [];
    this.#inferences = [];
    this.#cameraStats = new Map();

    const packed = [batch.observationState, batch.action, batch.followerVelocity, batch.followerCurrent];
    const transfer = packed.flatMap((column) => [column.values.buffer, column.lengths.buffer]);
    transfer.push(batch.frameBytes.buffer);
    return { batch, transfer: transfer as ArrayBuffer[] };
  }
}

/** Splits packed vectors into views over the packed buffer (no copies). */
function unpackVectors(packed: PackedVectors): Array<Float32Array | null> {
  const vectors: Array<Float32Array | null> = [];
  let offset = 0;
  for (const length of packed.lengths) {
    if (length < 0) {
      vectors.push(null);
      continue;
    }
    vectors.push(packed.values.subarray(offset, offset + length));
    offset += length;
  }
  return vectors;
}

export function unpackSteps(batch: RecordingBatch): StepRecord[] {
  const observationState = unpackVectors(batch.observationState);
  const action = unpackVectors(batch.action);
  const followerVelocity = unpackVectors(batch.followerVelocity);
  const followerCurrent = unpackVectors(batch.followerCurrent);

  return batch.stepTimesNs.map((tNs, i) => ({
    index: batch.firstStepIndex + i,
    tNs,
    observationState: observationState[i]!,
    action: action[i]!,
    followerVelocity: followerVelocity[i] ?? null,
    followerCurrent: followerCurrent[i] ?? null,
    periodMs: batch.periodMs[i]!,
    latenessMs: batch.latenessMs[i]!,
    busMs: batch.busMs[i]!,
  }));
}

export function unpackFrames(batch: RecordingBatch): FrameRecord[] {
  let offset = 0;
  return batch.frameHeaders.map(({ byteLength, ...header }) => {
    const jpeg = batch.frameBytes.subarray(offset, offset + byteLength);
    offset += byteLength;
    return { ...header, jpeg };
  });
}
