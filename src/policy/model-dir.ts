import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError, errorMessage } from '../common/errors.js';
import { describeManifestIssues, manifestSchema, type Manifest } from './manifest.js';

export type GraphName = 'backbone' | 'prelude' | 'core' | 'coda';
export const HEAD_GRAPHS: readonly GraphName[] = ['prelude', 'core', 'coda'];

/** A validated model directory: its manifest and the absolute paths of the files it names. */
export interface ModelDir {
  dir: string;
  manifest: Manifest;
  /** Absolute graph paths; backbone is absent for a head-only export. */
  graphPaths: Partial<Record<GraphName, string>> & Record<'prelude' | 'core' | 'coda', string>;
  /** Absolute tokenizer path; absent for a head-only export. */
  tokenizerPath?: string;
}

export interface LoadModelDirOptions {
  /** Number of joints the rig drives; a model that predicts another action size is rejected. */
  rigActionSize?: number;
  /** Accept a directory without backbone graph and tokenizer (runs from context features only). */
  allowHeadOnly?: boolean;
}

function readManifest(dir: string): Manifest {
  const manifestPath = path.join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new UserError(`model directory ${dir} has no manifest.json: point --model at an exported RD-VLA model`);
  }

  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (error) {
    throw new UserError(`${manifestPath} is not valid JSON (${errorMessage(error)}): re-export the model`);
  }

  const parsed = manifestSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    throw new UserError(`${manifestPath} is invalid: ${describeManifestIssues(parsed.error)}`);
  }
  return parsed.data;
}

function requireFile(dir: string, relative: string, field: string): string {
  const absolute = path.resolve(dir, relative);
  if (!existsSync(absolute) || !statSync(absolute).isFile()) {
    throw new UserError(`model directory ${dir} lacks ${relative} (manifest ${field}): re-export the model or fix the manifest`);
  }
  return absolute;
}

/**
 * Reads and validates a model directory: the manifest against its schema, the presence of every
 * file it names, and the action size against the rig's. The graphs' inputs and outputs are checked
 * once their sessions exist (see graph-signatures.ts).
 */
export function loadModelDir(dir: string, options: LoadModelDirOptions = {}): ModelDir {
  const absoluteDir = path.resolve(dir);
  if (!existsSync(absoluteDir)) {
    throw new UserError(`model directory ${absoluteDir} not found: pass the folder that holds manifest.json`);
  }
  if (!statSync(absoluteDir).isDirectory()) {
    throw new UserError(`model directory ${absoluteDir} is not a directory: pass the folder that contains manifest.json`);
  }
  const manifest = readManifest(absoluteDir);

  if (options.rigActionSize !== undefined && manifest.actionSize !== options.rigActionSize) {
    throw new UserError(
      `model ${manifest.name} predicts ${manifest.actionSize} joint targets per step but the rig has ${options.rigActionSize} joints: ` +
        'use a model trained for this rig',
    );
  }

  const backbone = manifest.graphs.backbone;
  const headOnly = backbone === undefined || backbone === null;
  if (headOnly && !options.allowHeadOnly) {
    throw new UserError(`model ${manifest.name} in ${absoluteDir} is a head-only export (no graphs.backbone): export the full model to run it on camera frames`);
  }

  // Graphs in pipeline order: backbone (when present), prelude, core, coda.
  const backbonePath = headOnly ? undefined : requireFile(absoluteDir, backbone, 'graphs.backbone');
  const graphPaths: ModelDir['graphPaths'] = {
    ...(backbonePath === undefined ? {} : { backbone: backbonePath }),
    prelude: requireFile(absoluteDir, manifest.graphs.prelude, 'graphs.prelude'),
    core: requireFile(absoluteDir, manifest.graphs.core, 'graphs.core'),
    coda: requireFile(absoluteDir, manifest.graphs.coda, 'graphs.coda'),
  };
  if (headOnly) return { dir: absoluteDir, manifest, graphPaths };

  const tokenizerPath = requireFile(absoluteDir, manifest.tokenizer, 'tokenizer');
  return { dir: absoluteDir, manifest, graphPaths, tokenizerPath };
}
