import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { UserError, errorMessage } from '../common/errors.js';
import type { ExecutionProvider } from './execution-provider.js';
import { graphSignatureProblems, throwOnSignatureProblems } from './graph-signatures.js';
import type { GraphName, ModelDir } from './model-dir.js';

export type PolicySessions = Partial<Record<GraphName, ort.InferenceSession>> & Record<'prelude' | 'core' | 'coda', ort.InferenceSession>;

/** Intra-op threads: one per core the process may use. */
export function defaultIntraOpThreads(): number {
  return os.availableParallelism();
}

function sessionOptions(provider: ExecutionProvider, intraOpThreads: number): ort.InferenceSession.SessionOptions {
  // Operators a GPU provider lacks fall back to the CPU provider.
  const executionProviders: ort.InferenceSession.ExecutionProviderConfig[] = provider === 'cpu' ? ['cpu'] : [provider, 'cpu'];
  return {
    executionProviders,
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  };
}

/** Creates one session per graph of the model directory and checks them all against the contract. */
export async function createPolicySessions(model: ModelDir, provider: ExecutionProvider, intraOpThreads: number): Promise<PolicySessions> {
  const options = sessionOptions(provider, intraOpThreads);
  const created: Partial<Record<GraphName, ort.InferenceSession>> = {};
  const problems: string[] = [];
  try {
    for (const [graph, file] of Object.entries(model.graphPaths) as [GraphName, string][]) {
      try {
        created[graph] = await ort.InferenceSession.create(file, options);
      } catch (error) {
        throw new UserError(`cannot load ${path.basename(file)} on ${provider} (${errorMessage(error).split('\n')[0]}): re-export the model or choose another --provider`);
      }
      problems.push(...graphSignatureProblems(graph, path.basename(file), created[graph], model.manifest));
    }
    throwOnSignatureProblems(problems);
  } catch (error) {
    await releaseSessions(created);
    throw error;
  }
  return created as PolicySessions;
}

export async function releaseSessions(sessions: Partial<Record<GraphName, ort.InferenceSession>>): Promise<void> {
  for (const session of Object.values(sessions)) await session?.release();
}

/** Describes each graph as "name type [shape]" lines for info output. */
export function describeGraphs(model: ModelDir, sessions: PolicySessions): Record<string, { file: string; bytes: number; inputs: string[]; outputs: string[] }> {
  const describe = (metadata: readonly ort.InferenceSession.ValueMetadata[]): string[] =>
    metadata.map((value) => (value.isTensor ? `${value.name} ${value.type} [${value.shape.join(',')}]` : `${value.name} (not a tensor)`));

  const graphs: Record<string, { file: string; bytes: number; inputs: string[]; outputs: string[] }> = {};
  for (const [graph, file] of Object.entries(model.graphPaths) as [GraphName, string][]) {
    const session = sessions[graph];
    if (session === undefined) continue;
    graphs[graph] = { file: path.basename(file), bytes: graphBytes(file), inputs: describe(session.inputMetadata), outputs: describe(session.outputMetadata) };
  }
  return graphs;
}

/** Size of a graph file plus its external-data file, when the exporter wrote one beside it. */
function graphBytes(file: string): number {
  let bytes = statSync(file).size;
  for (const candidate of [`${file}.data`, `${file}_data`]) {
    try {
      bytes += statSync(candidate).size;
    } catch {
      // No external data next to this graph.
    }
  }
  return bytes;
}
