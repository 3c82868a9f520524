import { UserError } from '../common/errors.js';
import { type RigConfig, rigConfigSchema } from '../rig/rig-config.js';
import { vectorNames } from '../rig/joint-layout.js';
import type { EpisodeStore } from '../store/episode-store.js';
import type { Episode, EpisodeSummary } from '../store/episode-types.js';
import type {
  EpisodeDetail,
  EpisodeEntry,
  EpisodeFilterParams,
  EpisodeFrame,
  EpisodeFramesParams,
  EpisodeIdParams,
  EpisodeLabelParams,
  EpisodeTelemetry,
  EpisodesApi,
} from './api.js';
import { EpisodeFrameReader } from './episode-frames.js';
import type { ServiceEvents } from './service-events.js';

/** Episode list, details, labels, deletion, and the review player's frames and telemetry. */
export class EpisodesService implements EpisodesApi {
  readonly #store: EpisodeStore;
  readonly #events: ServiceEvents;
  readonly #frames: EpisodeFrameReader;
  readonly #activeEpisodes: () => number[];

  /** `activeEpisodes` returns the ids being recorded now (teleop or rollout), which cannot be deleted here. */
  constructor(store: EpisodeStore, events: ServiceEvents, activeEpisodes: () => number[]) {
    this.#store = store;
    this.#events = events;
    this.#activeEpisodes = activeEpisodes;
    this.#frames = new EpisodeFrameReader(store.path);
    events.on('episodes.changed', ({ ids }) => ids.forEach((id) => this.#frames.invalidate(id)));
  }

  close(): void {
    this.#frames.close();
  }

  async list(params: EpisodeFilterParams): Promise<EpisodeEntry[]> {
    return this.#store.listEpisodes(params).map(entryOf).reverse();
  }

  async get(params: EpisodeIdParams): Promise<EpisodeDetail> {
    const episode = this.#require(params.id);
    const stats = this.#store.episodeStats(params.id);
    return {
      ...entryOf(episode),
      meanPeriodMs: stats.meanPeriodMs,
      p99LatenessMs: stats.p99LatenessMs,
      cameras: this.#store.readCameraStats(params.id),
      jointNames: jointNamesOf(episode),
      policy: episode.policy,
    };
  }

  async label(params: EpisodeLabelParams): Promise<EpisodeEntry> {
    this.#store.setOutcome(params.id, params.outcome);
    this.#events.emit('episodes.changed', { ids: [params.id] });
    return entryOf(this.#require(params.id));
  }

  async delete(params: EpisodeIdParams): Promise<{ id: number }> {
    this.#require(params.id);
    if (this.#activeEpisodes().includes(params.id)) {
      throw new UserError(`episode ${params.id} is still being recorded: stop or discard the recording instead`);
    }
    this.#store.deleteEpisode(params.id);
    this.#events.emit('episodes.changed', { ids: [params.id] });
    return { id: params.id };
  }

  async frames(params: EpisodeFramesParams): Promise<EpisodeFrame[]> {
    const episode = this.#require(params.id);
    const tNs = episode.startNs + BigInt(Math.round(params.tS * 1e9));
    return this.#frames.framesAt(params.id, tNs).map((frame) => ({
      camera: frame.camera,
      index: frame.index,
      tS: seconds(frame.tNs, episode.startNs),
      width: frame.width,
      height: frame.height,
      jpegBase64: frame.jpeg.toString('base64'),
    }));
  }

  async telemetry(params: EpisodeIdParams): Promise<EpisodeTelemetry> {
    const episode = this.#require(params.id);
    const steps = this.#store.readSteps(params.id);
    const inferences = this.#store.readInferences(params.id);
    const frameTimes: Record<string, number[]> = {};
    for (const [camera, times] of this.#frames.frameTimes(params.id)) frameTimes[camera] = times.map((time) => seconds(time.tNs, episode.startNs));

    return {
      id: params.id,
      jointNames: jointNamesOf(episode),
      steps: {
        tS: steps.map((step) => seconds(step.tNs, episode.startNs)),
        state: steps.map((step) => Array.from(step.observationState)),
        action: steps.map((step) => Array.from(step.action)),
        periodMs: steps.map((step) => step.periodMs),
        latenessMs: steps.map((step) => step.latenessMs),
      },
      inferences: {
        tS: inferences.map((inference) => seconds(inference.tNs, episode.startNs)),
        kStar: inferences.map((inference) => inference.kStar),
        horizon: inferences.map((inference) => inference.horizon),
        latencyMs: inferences.map((inference) => inference.timings.total ?? Object.values(inference.timings).reduce((sum, value) => sum + value, 0)),
        traces: inferences.map((inference) => inference.trace),
      },
      frameTimes,
    };
  }

  #require(id: number): Episode {
    const episode = this.#store.getEpisode(id);
    if (!episode) throw new UserError(`episode ${id} not found in ${this.#store.path}: it may have been deleted, so refresh the list`);
    return episode;
  }
}

function entryOf(summary: EpisodeSummary): EpisodeEntry {
  const { id, task, kind, fps, startedAt, outcome, incomplete, stepCount, durationS } = summary;
  return { id, task, kind, fps, startedAt, outcome, incomplete, steps: stepCount, durationS };
}

function seconds(tNs: bigint, startNs: bigint): number {
  return Number(tNs - startNs) / 1e9;
}

function jointNamesOf(episode: Episode): string[] {
  const parsed = rigConfigSchema.safeParse(episode.rig);
  return parsed.success ? vectorNames(parsed.data as RigConfig) : [];
}
