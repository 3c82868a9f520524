import { UserError } from '../common/errors.js';
import type { RolloutApi, RolloutStatus } from './api.js';

const IDLE: RolloutStatus = { state: 'idle', episodeId: null, task: '', policy: null, strategy: null, elapsedS: 0, inferences: 0, verdict: null, error: null };

/** Autonomous rollouts of a loaded policy on the connected rig. */
export class RolloutService implements RolloutApi {
  async status(): Promise<RolloutStatus> {
    return IDLE;
  }

  async start(): Promise<RolloutStatus> {
    throw new UserError('autonomous rollouts are not part of this build: use a build that includes src/rollout');
  }

  async stop(): Promise<RolloutStatus> {
    return IDLE;
  }

  async estop(): Promise<RolloutStatus> {
    return IDLE;
  }
}
