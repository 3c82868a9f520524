import { vectorToRaw } from '../../rig/joint-layout.js';
import { alohaRig } from '../../rig/presets.js';
import type { ArmName, RigConfig } from '../../rig/rig-config.js';
import { ARM_NAMES } from '../../rig/rig-config.js';
import type { ArmState, RigConnection } from '../../rig/rig-connection.js';
import type { InferenceRequest, InferenceResult, PolicyInfo } from '../../policy/policy-types.js';
import type { ChunkPolicy } from '../policy-driver.js';

/** Builds the ALOHA preset on made-up port paths; nothing is opened. */
export function fakeRig(): RigConfig {
  const ports = Object.fromEntries(ARM_NAMES.map((arm) => [arm, `/dev/fake-${arm}`])) as Record<ArmName, string>;
  return alohaRig(ports);
}

/** One bus call the fake connection saw, in order. */
export type BusCall = { op: 'writeGoals'; arm: ArmName; raw: number[] } | { op: 'setTorque'; arm: ArmName; enabled: boolean } | { op: 'readPositions'; arm: ArmName };

/**
 * A RigConnection stand-in whose followers reach every goal at once: present position is the
 * last goal written. Bus calls are logged in `calls`.
 */
export class FakeConnection {
  readonly rig: RigConfig;
  readonly calls: BusCall[] = [];
  readonly #positions = new Map<ArmName, Int32Array>();

  constructor(rig: RigConfig = fakeRig()) {
    this.rig = rig;
    for (const arm of ARM_NAMES) {
      const config = rig.arms[arm];
      const middle = config.motors.map((motor) => (motor.joint === 'gripper' ? 0.5 : 0));
      this.#positions.set(arm, vectorToRaw(config, middle));
    }
  }

  asConnection(): RigConnection {
    return this as unknown as RigConnection;
  }

  async readState(arm: ArmName): Promise<ArmState> {
    const positionRaw = Int32Array.from(this.#positions.get(arm)!);
    return { positionRaw, velocity: new Float32Array(positionRaw.length), current: new Float32Array(positionRaw.length) };
  }

  async readPositions(arm: ArmName): Promise<Int32Array> {
    this.calls.push({ op: 'readPositions', arm });
    return Int32Array.from(this.#positions.get(arm)!);
  }

  async writeGoals(arm: ArmName, raw: ArrayLike<number>): Promise<void> {
    this.calls.push({ op: 'writeGoals', arm, raw: Array.from(raw) });
    this.#positions.set(arm, Int32Array.from(raw));
  }

  async setTorque(arm: ArmName, enabled: boolean): Promise<void> {
    this.calls.push({ op: 'setTorque', arm, enabled });
  }
}

/** The summary fields a rollout reads, as the tiny simulated model has them. */
export const FAKE_POLICY_INFO: Pick<PolicyInfo, 'cameras' | 'sizes' | 'inference'> = {
  cameras: ['cam_high'],
  sizes: { actionSize: 14, proprioSize: 14, chunkSize: 8, hiddenSize: 64, backboneHiddenSize: 96, heads: 4, coreLayers: 2, latentTokens: 8, contextTokens: 72, maxTaskTokens: 24 },
  inference: {
    defaultDepth: 12,
    maxIterations: 32,
    delta: 5e-4,
    firstCheck: 2,
    fixedHorizon: 5,
    binary: { threshold: 4, short: 4, long: 8, direction: 'hard-replans-sooner' },
    linear: { hMax: 7, hMin: 2, tauBase: 8, fullChunkAtOrBelow: 6 },
  },
};

/** Builds a chunk of 8 actions of 14 values from `value(row, joint)`, horizon 4 unless given. */
export function fakeResult(value: (row: number, joint: number) => number, horizon = 4): InferenceResult {
  return {
    actions: Float32Array.from({ length: 8 * 14 }, (_, i) => value(Math.floor(i / 14), i % 14)),
    chunkSize: 8,
    actionSize: 14,
    kStar: 7,
    horizon,
    trace: [0.1, 0.01],
    timingsMs: { preprocess: 1, backbone: 2, prelude: 1, core: 3, coda: 1, total: 8 },
    seed: 1,
    mode: { kind: 'binary' },
    greyCameras: [],
  };
}

interface PendingCall {
  request: InferenceRequest;
  resolve: (result: InferenceResult) => void;
  reject: (error: Error) => void;
}

/** A policy whose inferences stay pending until the test settles them. */
export class ManualPolicy implements ChunkPolicy {
  readonly calls: PendingCall[] = [];

  infer(request: InferenceRequest): Promise<InferenceResult> {
    return new Promise((resolve, reject) => this.calls.push({ request, resolve, reject }));
  }

  get last(): PendingCall {
    const call = this.calls.at(-1);
    if (call === undefined) throw new Error('no inference was launched');
    return call;
  }
}

/** Creates a policy that resolves every inference at once with `result(n)`. */
export function instantPolicy(result: (n: number) => InferenceResult): ChunkPolicy & { count: number } {
  const policy = {
    count: 0,
    infer: async () => result(policy.count++),
  };
  return policy;
}
