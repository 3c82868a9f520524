import { z } from 'zod';

/**
 * The `manifest.json` of an RD-VLA model directory: sizes of the four ONNX graphs, the camera
 * and joint names, the normalisation statistics and the inference defaults. Field names follow
 * the exporter (camelCase).
 */
const positiveInt = z.int().positive();
const finiteNumber = z.number().refine(Number.isFinite, 'expected a finite number');
const positiveNumber = z.number().positive().refine(Number.isFinite, 'expected a finite number');

const statisticsSchema = z.object({
  mean: z.array(finiteNumber),
  std: z.array(positiveNumber),
});

export const manifestSchema = z
  .object({
    format: z.literal('rdvla-onnx'),
    formatVersion: z.literal(1),
    name: z.string().min(1),
    opset: z.int(),
    cameras: z.array(z.string().min(1)).min(1),
    image: z.object({
      height: positiveInt,
      width: positiveInt,
      mean: z.array(finiteNumber).length(3),
      std: z.array(positiveNumber).length(3),
    }),
    tokenizer: z.string().min(1),
    maxTaskTokens: positiveInt,
    padTokenId: z.int().nonnegative(),
    proprioSize: positiveInt,
    actionSize: positiveInt,
    chunkSize: positiveInt,
    hiddenSize: positiveInt,
    backboneHiddenSize: positiveInt,
    heads: positiveInt,
    coreLayers: positiveInt,
    latentTokens: positiveInt,
    contextTokens: positiveInt,
    jointNames: z.array(z.string().min(1)),
    normalization: z.object({ state: statisticsSchema, action: statisticsSchema }),
    scratchpadInitScale: positiveNumber,
    inference: z.object({
      defaultDepth: positiveInt,
      maxIterations: positiveInt,
      delta: positiveNumber,
      firstCheck: z.int().min(2),
      binary: z.object({
        threshold: z.int().nonnegative(),
        short: positiveInt,
        long: positiveInt,
        direction: z.enum(['hard-replans-sooner', 'hard-runs-longer']),
      }),
      linear: z.object({
        hMax: positiveInt,
        hMin: positiveInt,
        tauBase: z.int().nonnegative(),
        fullChunkAtOrBelow: z.int().nonnegative().nullable().optional(),
      }),
      fixedHorizon: positiveInt,
    }),
    /** Origin of the weights as the exporter records it; `trained: false` marks random weights. */
    source: z.looseObject({ trained: z.boolean().optional() }).optional(),
    graphs: z.object({
      // A head-only export (benchmarks, tests) has no backbone graph.
      backbone: z.string().min(1).nullable().optional(),
      prelude: z.string().min(1),
      core: z.string().min(1),
      coda: z.string().min(1),
    }),
  })
  .superRefine((m, context) => {
    const expectLength = (path: (string | number)[], actual: number, expected: number, what: string): void => {
      if (actual !== expected) {
        context.addIssue({ code: 'custom', path, message: `has ${actual} entries, expected ${expected} (${what})` });
      }
    };
    expectLength(['jointNames'], m.jointNames.length, m.actionSize, 'actionSize');
    expectLength(['normalization', 'state', 'mean'], m.normalization.state.mean.length, m.proprioSize, 'proprioSize');
    expectLength(['normalization', 'state', 'std'], m.normalization.state.std.length, m.proprioSize, 'proprioSize');
    expectLength(['normalization', 'action', 'mean'], m.normalization.action.mean.length, m.actionSize, 'actionSize');
    expectLength(['normalization', 'action', 'std'], m.normalization.action.std.length, m.actionSize, 'actionSize');

    if (m.hiddenSize % m.heads !== 0) {
      context.addIssue({ code: 'custom', path: ['heads'], message: `${m.heads} does not divide hiddenSize ${m.hiddenSize}` });
    }
    const horizons: [string, number][] = [
      ['short', m.inference.binary.short],
      ['long', m.inference.binary.long],
    ];
    for (const [key, value] of horizons) {
      if (value > m.chunkSize) {
        context.addIssue({ code: 'custom', path: ['inference', 'binary', key], message: `is ${value}, more than chunkSize ${m.chunkSize}` });
      }
    }
    if (m.inference.fixedHorizon > m.chunkSize) {
      context.addIssue({ code: 'custom', path: ['inference', 'fixedHorizon'], message: `is ${m.inference.fixedHorizon}, more than chunkSize ${m.chunkSize}` });
    }
    if (m.inference.linear.hMin > m.inference.linear.hMax) {
      context.addIssue({ code: 'custom', path: ['inference', 'linear', 'hMin'], message: `is ${m.inference.linear.hMin}, more than hMax ${m.inference.linear.hMax}` });
    }
    if (m.inference.firstCheck > m.inference.maxIterations) {
      context.addIssue({ code: 'custom', path: ['inference', 'firstCheck'], message: `is ${m.inference.firstCheck}, more than maxIterations ${m.inference.maxIterations}` });
    }
  });

export type Manifest = z.infer<typeof manifestSchema>;
export type BinaryDirection = Manifest['inference']['binary']['direction'];

/** Formats zod issues as `field.path: message (found VALUE)` parts, one per issue. */
export function describeManifestIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
      const found = 'input' in issue && issue.input !== undefined && typeof issue.input !== 'object' ? ` (found ${JSON.stringify(issue.input)})` : '';
      return `${path}: ${issue.message}${found}`;
    })
    .join('; ');
}
