import { UserError } from '../common/errors.js';
import type { Manifest } from './manifest.js';

/** Writes the joint state normalised with the manifest statistics, (x - mean) / std, into `out`. */
export function writeNormalisedState(state: ArrayLike<number>, manifest: Manifest, out: Float32Array): void {
  const { mean, std } = manifest.normalization.state;
  if (state.length !== manifest.proprioSize) {
    throw new UserError(`joint state has ${state.length} values, model ${manifest.name} takes ${manifest.proprioSize} (${manifest.jointNames.join(', ')})`);
  }
  for (let i = 0; i < state.length; i++) {
    const value = state[i] ?? Number.NaN;
    if (!Number.isFinite(value)) {
      throw new UserError(`joint state value ${i} (${manifest.jointNames[i] ?? `joint ${i}`}) is ${value}: expected a finite number`);
    }
    out[i] = (value - (mean[i] ?? 0)) / (std[i] ?? 1);
  }
}

/** Turns the coda's normalised action chunk into joint targets in place: a * std + mean per joint. */
export function denormaliseActions(actions: Float32Array, manifest: Manifest): Float32Array {
  const { mean, std } = manifest.normalization.action;
  const size = manifest.actionSize;
  for (let i = 0; i < actions.length; i++) {
    const joint = i % size;
    actions[i] = (actions[i] ?? 0) * (std[joint] ?? 1) + (mean[joint] ?? 0);
  }
  return actions;
}
