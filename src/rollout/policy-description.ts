import type { DepthMode, PolicyInfo } from '../policy/policy-types.js';

/** Settings the rollout ran the policy with, stored as the episode's policy JSON. */
export interface PolicyDescription {
  model: string;
  path: string;
  provider: PolicyInfo['provider'];
  /** Depth mode with the manifest's defaults filled in. */
  mode: { kind: 'fixed'; depth: number } | { kind: 'converge' | 'binary' | 'linear'; delta: number; maxIterations: number };
  /** The rule that turns k* into the execution horizon under this mode. */
  horizonRule: { fixed: number } | { binary: PolicyInfo['inference']['binary'] } | { linear: PolicyInfo['inference']['linear'] };
  chunkSize: number;
  /** Seed of the first inference's scratchpad (inference n uses seed + n), null when random. */
  seed: number | null;
  controlHz: number;
  /** Time added to the latency estimate before launching an inference, in ms. */
  marginMs: number;
  /** Fixed watchdog deadline in ms, null for 3x the measured latency (at least 500 ms). */
  watchdogMs: number | null;
}

export interface DescribePolicyOptions {
  mode?: DepthMode;
  seed?: number;
  controlHz: number;
  marginMs: number;
  watchdogMs?: number;
}

export function describePolicy(info: Pick<PolicyInfo, 'name' | 'dir' | 'provider' | 'inference' | 'sizes'>, options: DescribePolicyOptions): PolicyDescription {
  const { inference } = info;
  const mode = options.mode ?? { kind: 'fixed', depth: inference.defaultDepth };
  const described: PolicyDescription['mode'] =
    mode.kind === 'fixed'
      ? { kind: 'fixed', depth: mode.depth }
      : { kind: mode.kind, delta: mode.delta ?? inference.delta, maxIterations: mode.maxIterations ?? inference.maxIterations };

  let horizonRule: PolicyDescription['horizonRule'] = { fixed: inference.fixedHorizon };
  if (mode.kind === 'binary') horizonRule = { binary: inference.binary };
  if (mode.kind === 'linear') horizonRule = { linear: inference.linear };

  return {
    model: info.name,
    path: info.dir,
    provider: info.provider,
    mode: described,
    horizonRule,
    chunkSize: info.sizes.chunkSize,
    seed: options.seed ?? null,
    controlHz: options.controlHz,
    marginMs: options.marginMs,
    watchdogMs: options.watchdogMs ?? null,
  };
}
