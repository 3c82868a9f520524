import type { CameraStatsSnapshot } from './camera-types.js';

/** A gap longer than this many frame periods means frames were lost. */
export const DROP_GAP_PERIODS = 1.5;
/** A gap longer than this many periods, but not a drop, marks the frame late. */
export const LATE_GAP_PERIODS = 1.25;

/**
 * Counts one camera's frames from their arrival times against its nominal rate. A gap of
 * more than 1.5 periods counts round(gap / period) - 1 dropped frames. A gap of more than
 * 1.25 periods, up to 1.5, counts one late frame.
 */
export class FrameTimingCounter {
  readonly #periodNs: number;
  #frames = 0;
  #dropped = 0;
  #late = 0;
  #firstNs: bigint | null = null;
  #lastNs: bigint | null = null;

  constructor(nominalFps: number) {
    if (!(nominalFps > 0)) throw new RangeError(`nominal fps must be positive, got ${nominalFps}`);
    this.#periodNs = 1e9 / nominalFps;
  }

  get frames(): number {
    return this.#frames;
  }

  /** Adds a frame's arrival time; times must not decrease. */
  add(tNs: bigint): void {
    if (this.#lastNs !== null) {
      const gapPeriods = Number(tNs - this.#lastNs) / this.#periodNs;
      if (gapPeriods > DROP_GAP_PERIODS) this.#dropped += Math.round(gapPeriods) - 1;
      else if (gapPeriods > LATE_GAP_PERIODS) this.#late += 1;
    }
    this.#firstNs ??= tNs;
    this.#lastNs = tNs;
    this.#frames += 1;
  }

  snapshot(): CameraStatsSnapshot {
    const spanS = this.#firstNs === null || this.#lastNs === null ? 0 : Number(this.#lastNs - this.#firstNs) / 1e9;
    const fps = this.#frames >= 2 && spanS > 0 ? (this.#frames - 1) / spanS : 0;
    return { frames: this.#frames, dropped: this.#dropped, late: this.#late, fps: Math.round(fps * 100) / 100 };
  }
}
