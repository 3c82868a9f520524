import ort from 'onnxruntime-node';
import { monotonicMs } from '../common/clock.js';
import { UserError } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { writeImagesTensor } from './camera-frames.js';
import { chooseExecutionProvider, type ExecutionProvider } from './execution-provider.js';
import { kvShapes } from './graph-signatures.js';
import { binaryHorizon, linearHorizon } from './horizon.js';
import { denormaliseActions, writeNormalisedState } from './joint-state.js';
import type { Manifest } from './manifest.js';
import { loadModelDir, type LoadModelDirOptions, type ModelDir } from './model-dir.js';
import { createPolicySessions, defaultIntraOpThreads, describeGraphs, releaseSessions, type PolicySessions } from './policy-sessions.js';
import type { DepthMode, HeadFeatures, InferenceOptions, InferenceRequest, InferenceResult, PolicyInfo, StageTimings } from './policy-types.js';
import { fillTruncatedNormal, randomSeed, scratchpadSigma } from './scratchpad.js';
import { TaskTokenizer } from './task-tokens.js';

const log = createLogger('policy');

export interface PolicyLoadOptions extends LoadModelDirOptions {
  /** Forces an execution provider; otherwise CUDA, then WebGPU, then CPU, whichever works first. */
  provider?: ExecutionProvider;
  intraOpThreads?: number;
}

type Feeds = Record<string, ort.Tensor>;

function tensor(shape: number[]): ort.Tensor {
  const size = shape.reduce((product, dim) => product * dim, 1);
  return new ort.Tensor('float32', new Float32Array(size), shape);
}

function floats(value: ort.Tensor): Float32Array {
  return value.data as Float32Array;
}

/** Index of the first NaN or infinite value, or -1. */
function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) return i;
  }
  return -1;
}

/** Mean over the chunk of the squared change between two decoded (normalised) chunks. */
function meanSquaredChange(current: Float32Array, previous: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < current.length; i++) {
    const change = (current[i] ?? 0) - (previous[i] ?? 0);
    sum += change * change;
  }
  return sum / current.length;
}

/** Buffers of the backbone stage, allocated only for a full model. */
interface BackboneBuffers {
  session: ort.InferenceSession;
  tokenizer: TaskTokenizer;
  feeds: { images: ort.Tensor; input_ids: ort.Tensor; attention_mask: ort.Tensor };
  outputs: { mid_context: ort.Tensor; mid_latent: ort.Tensor; last_context: ort.Tensor; last_latent: ort.Tensor };
}

/**
 * The RD-VLA policy on onnxruntime-node: backbone -> prelude -> recurrent core (looped) -> coda.
 *
 * Every tensor the loop touches is allocated once at load: two scratchpads that swap roles each
 * iteration, two action chunks that swap for the convergence check, and the prelude's context
 * key/value caches. Depth changes the number of session runs, not the memory held. Runs block
 * the calling thread, so a control loop calls this through PolicyClient (a worker thread).
 */
export class RdvlaPolicy {
  readonly model: ModelDir;
  readonly manifest: Manifest;
  readonly provider: ExecutionProvider;
  readonly providerReason: string;
  readonly intraOpThreads: number;

  readonly #sessions: PolicySessions;
  readonly #backbone: BackboneBuffers | null;
  readonly #proprio: ort.Tensor;
  readonly #prelude: { s_pre: ort.Tensor; core_kv_latent: ort.Tensor; core_kv_context: ort.Tensor; coda_kv_latent: ort.Tensor; coda_kv_context: ort.Tensor };
  readonly #scratchpads: [ort.Tensor, ort.Tensor];
  readonly #chunks: [ort.Tensor, ort.Tensor];
  /** Core feeds and fetches indexed by the scratchpad that contains S_{k-1}. */
  readonly #coreFeeds: [Feeds, Feeds];
  readonly #coreFetches: [Feeds, Feeds];
  /** Coda feeds indexed by the scratchpad to decode; fetches by the chunk to write. */
  readonly #codaFeeds: [Feeds, Feeds];
  readonly #codaFetches: [Feeds, Feeds];
  readonly #warnedGreyCameras = new Set<string>();
  #closed = false;
  #running = false;

  private constructor(model: ModelDir, sessions: PolicySessions, provider: ExecutionProvider, providerReason: string, intraOpThreads: number) {
    this.model = model;
    this.manifest = model.manifest;
    this.provider = provider;
    this.providerReason = providerReason;
    this.intraOpThreads = intraOpThreads;
    this.#sessions = sessions;

    const m = model.manifest;
    const kv = kvShapes(m);
    const scratchpadShape = [1, m.chunkSize, m.hiddenSize];
    this.#backbone = RdvlaPolicy.#allocateBackbone(model, sessions);
    this.#proprio = tensor([1, m.proprioSize]);
    this.#prelude = {
      s_pre: tensor(scratchpadShape),
      core_kv_latent: tensor(kv.latent),
      core_kv_context: tensor(kv.context),
      coda_kv_latent: tensor(kv.codaLatent),
      coda_kv_context: tensor(kv.codaContext),
    };
    this.#scratchpads = [tensor(scratchpadShape), tensor(scratchpadShape)];
    this.#chunks = [tensor([1, m.chunkSize, m.actionSize]), tensor([1, m.chunkSize, m.actionSize])];

    const { s_pre, core_kv_latent, core_kv_context, coda_kv_latent, coda_kv_context } = this.#prelude;
    const [a, b] = this.#scratchpads;
    this.#coreFeeds = [
      { s_prev: a, s_pre, core_kv_latent, core_kv_context },
      { s_prev: b, s_pre, core_kv_latent, core_kv_context },
    ];
    this.#coreFetches = [{ s_next: b }, { s_next: a }];
    this.#codaFeeds = [
      { s: a, coda_kv_latent, coda_kv_context },
      { s: b, coda_kv_latent, coda_kv_context },
    ];
    this.#codaFetches = [{ actions: this.#chunks[0] }, { actions: this.#chunks[1] }];
  }

  static #allocateBackbone(model: ModelDir, sessions: PolicySessions): BackboneBuffers | null {
    const m = model.manifest;
    if (sessions.backbone === undefined || model.tokenizerPath === undefined) return null;
    const tokens = (): ort.Tensor => new ort.Tensor('int64', new BigInt64Array(m.maxTaskTokens), [1, m.maxTaskTokens]);
    return {
      session: sessions.backbone,
      tokenizer: new TaskTokenizer(model.tokenizerPath, m),
      feeds: {
        images: tensor([1, m.cameras.length, 3, m.image.height, m.image.width]),
        input_ids: tokens(),
        attention_mask: tokens(),
      },
      outputs: {
        mid_context: tensor([1, m.contextTokens, m.backboneHiddenSize]),
        mid_latent: tensor([1, m.latentTokens, m.backboneHiddenSize]),
        last_context: tensor([1, m.contextTokens, m.backboneHiddenSize]),
        last_latent: tensor([1, m.latentTokens, m.backboneHiddenSize]),
      },
    };
  }

  /** Loads and validates a model directory, picks the execution provider and creates the sessions. */
  static async load(dir: string, options: PolicyLoadOptions = {}): Promise<RdvlaPolicy> {
    const model = loadModelDir(dir, options);
    const choice = await chooseExecutionProvider(options.provider);
    const threads = options.intraOpThreads ?? defaultIntraOpThreads();
    log.info(`model ${model.manifest.name}: execution provider ${choice.provider} (${choice.reason}), ${threads} intra-op threads`);

    const sessions = await createPolicySessions(model, choice.provider, threads);
    return new RdvlaPolicy(model, sessions, choice.provider, choice.reason, threads);
  }

  info(): PolicyInfo {
    const m = this.manifest;
    return {
      name: m.name,
      dir: this.model.dir,
      provider: this.provider,
      providerReason: this.providerReason,
      intraOpThreads: this.intraOpThreads,
      trained: m.source?.trained ?? null,
      cameras: m.cameras,
      image: { height: m.image.height, width: m.image.width },
      jointNames: m.jointNames,
      sizes: {
        actionSize: m.actionSize,
        proprioSize: m.proprioSize,
        chunkSize: m.chunkSize,
        hiddenSize: m.hiddenSize,
        backboneHiddenSize: m.backboneHiddenSize,
        heads: m.heads,
        coreLayers: m.coreLayers,
        latentTokens: m.latentTokens,
        contextTokens: m.contextTokens,
        maxTaskTokens: m.maxTaskTokens,
      },
      inference: m.inference,
      graphs: describeGraphs(this.model, this.#sessions),
      headOnly: this.#backbone === null,
    };
  }

  /** Runs one control step from camera frames, task text and joint state. */
  infer(request: InferenceRequest): Promise<InferenceResult> {
    return this.#exclusive(() => this.#infer(request));
  }

  /** Runs the head (prelude, core loop, coda) on backbone features computed elsewhere. */
  inferFromFeatures(features: HeadFeatures, state: ArrayLike<number>, options: InferenceOptions = {}): Promise<InferenceResult> {
    return this.#exclusive(() => this.#inferFromFeatures(features, state, options));
  }

  /** Rejects overlapping calls, because every inference writes the same preallocated tensors. */
  async #exclusive(run: () => Promise<InferenceResult>): Promise<InferenceResult> {
    if (this.#closed) throw new Error('policy is closed');
    if (this.#running) throw new Error('an inference is already running on this policy: await it first (PolicyClient queues calls)');
    this.#running = true;
    try {
      return await run();
    } finally {
      this.#running = false;
    }
  }

  async #infer(request: InferenceRequest): Promise<InferenceResult> {
    const backbone = this.#backbone;
    if (backbone === null) {
      throw new UserError(`model ${this.manifest.name} is a head-only export: it runs from backbone features (inferFromFeatures), not camera frames`);
    }
    const started = monotonicMs();

    writeNormalisedState(request.state, this.manifest, floats(this.#proprio));
    const greyCameras = await writeImagesTensor(request.frames ?? {}, this.manifest, floats(backbone.feeds.images));
    this.#warnGreyCameras(greyCameras);
    backbone.tokenizer.encode(request.task, backbone.feeds.input_ids.data as BigInt64Array, backbone.feeds.attention_mask.data as BigInt64Array);
    const preprocessed = monotonicMs();

    await backbone.session.run(backbone.feeds, backbone.outputs);
    const backboneDone = monotonicMs();

    const timings: StageTimings = { preprocess: preprocessed - started, backbone: backboneDone - preprocessed, prelude: 0, core: 0, coda: 0, total: 0 };
    const result = await this.#runHead(backbone.outputs, request, timings);
    result.greyCameras = greyCameras;
    result.timingsMs.total = monotonicMs() - started;
    return result;
  }

  async #inferFromFeatures(features: HeadFeatures, state: ArrayLike<number>, options: InferenceOptions): Promise<InferenceResult> {
    const started = monotonicMs();
    const m = this.manifest;
    const contextShape = [1, m.contextTokens, m.backboneHiddenSize];
    const latentShape = [1, m.latentTokens, m.backboneHiddenSize];
    const expectedLengths: [keyof HeadFeatures, number][] = [
      ['midContext', m.contextTokens * m.backboneHiddenSize],
      ['midLatent', m.latentTokens * m.backboneHiddenSize],
      ['lastContext', m.contextTokens * m.backboneHiddenSize],
      ['lastLatent', m.latentTokens * m.backboneHiddenSize],
    ];
    for (const [name, length] of expectedLengths) {
      if (features[name].length !== length) throw new UserError(`backbone feature ${name} has ${features[name].length} values, model ${m.name} takes ${length}`);
    }
    const featureFeeds = {
      mid_context: new ort.Tensor('float32', features.midContext, contextShape),
      mid_latent: new ort.Tensor('float32', features.midLatent, latentShape),
      last_context: new ort.Tensor('float32', features.lastContext, contextShape),
      last_latent: new ort.Tensor('float32', features.lastLatent, latentShape),
    };
    writeNormalisedState(state, m, floats(this.#proprio));
    const timings: StageTimings = { preprocess: monotonicMs() - started, backbone: 0, prelude: 0, core: 0, coda: 0, total: 0 };

    const result = await this.#runHead(featureFeeds, options, timings);
    result.timingsMs.total = monotonicMs() - started;
    return result;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await releaseSessions(this.#sessions);
  }

  async #runHead(features: Feeds, options: InferenceOptions, timings: StageTimings): Promise<InferenceResult> {
    const m = this.manifest;
    const mode: DepthMode = options.mode ?? { kind: 'fixed', depth: m.inference.defaultDepth };
    const seed = options.seed ?? randomSeed();
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new UserError(`seed ${seed} is invalid: use a whole number from 0 to 4294967295`);

    const mark = monotonicMs();
    await this.#sessions.prelude.run({ ...features, proprio: this.#proprio }, this.#prelude);
    this.#assertFinite(floats(this.#prelude.s_pre), 'prelude.onnx s_pre', 0);
    timings.prelude = monotonicMs() - mark;

    fillTruncatedNormal(floats(this.#scratchpads[0]), scratchpadSigma(m.scratchpadInitScale), seed);
    const loop = mode.kind === 'fixed' ? await this.#runFixed(mode.depth, timings) : await this.#runUntilConverged(mode, timings);

    const actions = denormaliseActions(Float32Array.from(floats(this.#chunks[loop.chunk])), m);
    return {
      actions,
      chunkSize: m.chunkSize,
      actionSize: m.actionSize,
      kStar: loop.kStar,
      horizon: this.#horizon(mode, loop.kStar),
      trace: loop.trace,
      timingsMs: timings,
      seed,
      mode,
      greyCameras: [],
    };
  }

  /**
   * Runs core iteration k (1-based): S_{k-1} is in scratchpad (k-1) % 2 and S_k lands in k % 2.
   * NOTE: the feeds are CPU tensors, so on CUDA or WebGPU the context caches are copied to the
   * device on every iteration. Only the CPU provider has been measured.
   */
  async #runCore(k: number, timings: StageTimings): Promise<0 | 1> {
    const previous = ((k - 1) % 2) as 0 | 1;
    const mark = monotonicMs();
    await this.#sessions.core.run(this.#coreFeeds[previous], this.#coreFetches[previous]);
    timings.core += monotonicMs() - mark;

    const next = (k % 2) as 0 | 1;
    this.#assertFinite(floats(this.#scratchpads[next]), 'core.onnx s_next', k);
    return next;
  }

  async #runCoda(scratchpad: 0 | 1, chunk: 0 | 1, k: number, timings: StageTimings): Promise<void> {
    const mark = monotonicMs();
    await this.#sessions.coda.run(this.#codaFeeds[scratchpad], this.#codaFetches[chunk]);
    timings.coda += monotonicMs() - mark;
    this.#assertFinite(floats(this.#chunks[chunk]), 'coda.onnx actions', k);
  }

  async #runFixed(depth: number, timings: StageTimings): Promise<{ kStar: number; trace: number[]; chunk: 0 | 1 }> {
    if (!Number.isInteger(depth) || depth < 1) throw new UserError(`depth ${depth} is invalid: use a whole number of iterations >= 1`);
    let scratchpad: 0 | 1 = 0;
    for (let k = 1; k <= depth; k++) scratchpad = await this.#runCore(k, timings);
    await this.#runCoda(scratchpad, 0, depth, timings);
    return { kStar: depth, trace: [], chunk: 0 };
  }

  async #runUntilConverged(mode: Exclude<DepthMode, { kind: 'fixed' }>, timings: StageTimings): Promise<{ kStar: number; trace: number[]; chunk: 0 | 1 }> {
    const { firstCheck } = this.manifest.inference;
    const delta = mode.delta ?? this.manifest.inference.delta;
    const maxIterations = mode.maxIterations ?? this.manifest.inference.maxIterations;
    if (!(delta > 0)) throw new UserError(`delta ${delta} is invalid: use a positive mean squared change such as 5e-4`);
    if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new UserError(`maxIterations ${maxIterations} is invalid: use a whole number >= 1`);

    const trace: number[] = [];
    for (let k = 1; k <= maxIterations; k++) {
      const scratchpad = await this.#runCore(k, timings);
      const chunk = (k % 2) as 0 | 1;
      await this.#runCoda(scratchpad, chunk, k, timings);
      if (k < 2) continue;

      const change = meanSquaredChange(floats(this.#chunks[chunk]), floats(this.#chunks[(1 - chunk) as 0 | 1]));
      trace.push(change);
      if (k >= firstCheck && change < delta) return { kStar: k, trace, chunk };
    }
    return { kStar: maxIterations, trace, chunk: (maxIterations % 2) as 0 | 1 };
  }

  #horizon(mode: DepthMode, kStar: number): number {
    const { inference, chunkSize } = this.manifest;
    if (mode.kind === 'binary') return binaryHorizon(kStar, inference.binary);
    if (mode.kind === 'linear') return linearHorizon(kStar, inference.linear, chunkSize);
    return inference.fixedHorizon;
  }

  #assertFinite(values: Float32Array, output: string, k: number): void {
    const index = firstNonFinite(values);
    if (index < 0) return;
    const where = k > 0 ? ` at iteration ${k}` : '';
    throw new UserError(`${output} is ${values[index]} at element ${index}${where}: inference stopped, no actions returned; check the joint state and camera inputs, or the model export`);
  }

  #warnGreyCameras(cameras: string[]): void {
    for (const camera of cameras) {
      if (this.#warnedGreyCameras.has(camera)) continue;
      this.#warnedGreyCameras.add(camera);
      log.warn(`camera ${camera} has no frame: using a mid-grey image`);
    }
  }
}
