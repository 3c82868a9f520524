/** Running totals of a rollout for its summary: steps, held ticks, lateness and inference figures. */
export class RolloutTotals {
  steps = 0;
  heldSteps = 0;
  inferences = 0;
  #kStarSum = 0;
  #horizonSum = 0;
  #latencySumMs = 0;
  readonly #latenessMs: number[] = [];

  addStep(latenessMs: number, held: boolean): void {
    this.steps += 1;
    if (held) this.heldSteps += 1;
    this.#latenessMs.push(latenessMs);
  }

  addInference(kStar: number, horizon: number, latencyMs: number): void {
    this.inferences += 1;
    this.#kStarSum += kStar;
    this.#horizonSum += horizon;
    this.#latencySumMs += latencyMs;
  }

  get meanKStar(): number | null {
    return this.inferences === 0 ? null : this.#kStarSum / this.inferences;
  }

  get meanHorizon(): number | null {
    return this.inferences === 0 ? null : this.#horizonSum / this.inferences;
  }

  get meanLatencyMs(): number | null {
    return this.inferences === 0 ? null : this.#latencySumMs / this.inferences;
  }

  /** Percentile of the ticks' lateness by nearest rank (the episode store's rule), null without steps. */
  latenessPercentileMs(percent: number): number | null {
    if (this.#latenessMs.length === 0) return null;
    const sorted = [...this.#latenessMs].sort((a, b) => a - b);
    return sorted[Math.max(0, Math.ceil((percent / 100) * sorted.length) - 1)]!;
  }

  get meanLatenessMs(): number | null {
    if (this.#latenessMs.length === 0) return null;
    return this.#latenessMs.reduce((sum, value) => sum + value, 0) / this.#latenessMs.length;
  }
}
