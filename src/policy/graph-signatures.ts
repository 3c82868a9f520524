import type { InferenceSession } from 'onnxruntime-node';
import { UserError } from '../common/errors.js';
import type { Manifest } from './manifest.js';
import type { GraphName } from './model-dir.js';

type ElementType = 'float32' | 'int64';

/** One input or output of a graph as the ONNX contract fixes it. */
export interface TensorSignature {
  name: string;
  type: ElementType;
  shape: number[];
}

export interface GraphSignature {
  inputs: TensorSignature[];
  outputs: TensorSignature[];
}

/** Sizes of the context key/value caches that the prelude hands to the core and the coda. */
export function kvShapes(m: Manifest): { latent: number[]; context: number[]; codaLatent: number[]; codaContext: number[] } {
  const headDim = m.hiddenSize / m.heads;
  return {
    latent: [m.coreLayers, 2, m.heads, m.latentTokens + 1, headDim],
    context: [m.coreLayers, 2, m.heads, m.contextTokens, headDim],
    codaLatent: [1, 2, m.heads, m.latentTokens + 1, headDim],
    codaContext: [1, 2, m.heads, m.contextTokens, headDim],
  };
}

const f32 = (name: string, shape: number[]): TensorSignature => ({ name, type: 'float32', shape });

/** Returns the inputs and outputs each of the four graphs must have for this manifest. */
export function expectedSignatures(m: Manifest): Record<GraphName, GraphSignature> {
  const kv = kvShapes(m);
  const scratchpad = [1, m.chunkSize, m.hiddenSize];
  const features = [
    f32('mid_context', [1, m.contextTokens, m.backboneHiddenSize]),
    f32('mid_latent', [1, m.latentTokens, m.backboneHiddenSize]),
    f32('last_context', [1, m.contextTokens, m.backboneHiddenSize]),
    f32('last_latent', [1, m.latentTokens, m.backboneHiddenSize]),
  ];
  return {
    backbone: {
      inputs: [
        f32('images', [1, m.cameras.length, 3, m.image.height, m.image.width]),
        { name: 'input_ids', type: 'int64', shape: [1, m.maxTaskTokens] },
        { name: 'attention_mask', type: 'int64', shape: [1, m.maxTaskTokens] },
      ],
      outputs: features,
    },
    prelude: {
      inputs: [...features, f32('proprio', [1, m.proprioSize])],
      outputs: [
        f32('s_pre', scratchpad),
        f32('core_kv_latent', kv.latent),
        f32('core_kv_context', kv.context),
        f32('coda_kv_latent', kv.codaLatent),
        f32('coda_kv_context', kv.codaContext),
      ],
    },
    core: {
      inputs: [f32('s_prev', scratchpad), f32('s_pre', scratchpad), f32('core_kv_latent', kv.latent), f32('core_kv_context', kv.context)],
      outputs: [f32('s_next', scratchpad)],
    },
    coda: {
      inputs: [f32('s', scratchpad), f32('coda_kv_latent', kv.codaLatent), f32('coda_kv_context', kv.codaContext)],
      outputs: [f32('actions', [1, m.chunkSize, m.actionSize])],
    },
  };
}

const MANIFEST_FIELDS_HINT = 're-export the model or fix manifest.json';

function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(',')}]`;
}

function checkTensors(
  file: string,
  direction: 'input' | 'output',
  actual: readonly InferenceSession.ValueMetadata[],
  expected: TensorSignature[],
): string[] {
  const problems: string[] = [];
  const byName = new Map(actual.map((metadata) => [metadata.name, metadata]));

  for (const want of expected) {
    const have = byName.get(want.name);
    if (have === undefined) {
      const names = actual.map((metadata) => metadata.name).join(', ');
      problems.push(`${file} has no ${direction} ${want.name} (it has ${names})`);
      continue;
    }
    if (!have.isTensor) {
      problems.push(`${file} ${direction} ${want.name} is not a tensor`);
      continue;
    }
    if (have.type !== want.type) {
      problems.push(`${file} ${direction} ${want.name} has type ${have.type}, the contract says ${want.type}`);
    }
    // A symbolic dimension (a string) accepts any size, so dynamic axes pass.
    const shapeMatches =
      have.shape.length === want.shape.length && have.shape.every((dim, i) => typeof dim === 'string' || dim === want.shape[i]);
    if (!shapeMatches) {
      problems.push(`${file} ${direction} ${want.name} has shape ${formatShape(have.shape)}, manifest says ${formatShape(want.shape)}`);
    }
  }

  if (direction === 'input') {
    const expectedNames = new Set(expected.map((signature) => signature.name));
    for (const metadata of actual) {
      if (!expectedNames.has(metadata.name)) problems.push(`${file} has an input ${metadata.name} that the contract does not define`);
    }
  }
  return problems;
}

/** Lists how a loaded session's input and output names, element types and shapes differ from the contract for this manifest. */
export function graphSignatureProblems(graph: GraphName, file: string, session: InferenceSession, manifest: Manifest): string[] {
  const expected = expectedSignatures(manifest)[graph];
  return [...checkTensors(file, 'input', session.inputMetadata, expected.inputs), ...checkTensors(file, 'output', session.outputMetadata, expected.outputs)];
}

/** Throws one UserError that lists every signature mismatch, when there is any. */
export function throwOnSignatureProblems(problems: string[]): void {
  if (problems.length > 0) throw new UserError(`${problems.join('; ')}: ${MANIFEST_FIELDS_HINT}`);
}
