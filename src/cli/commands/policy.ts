import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { UserError, errorMessage } from '../../common/errors.js';
import type { CameraFrame } from '../../policy/camera-frames.js';
import { PROVIDERS, parseProvider, type ExecutionProvider } from '../../policy/execution-provider.js';
import type { DepthMode, InferenceResult, PolicyInfo } from '../../policy/policy-types.js';
import { RdvlaPolicy } from '../../policy/rdvla-policy.js';
import { taskText } from './record.js';

interface CommonOptions {
  model: string;
  provider?: ExecutionProvider;
  json?: boolean;
}

interface RunOptions extends CommonOptions {
  depth?: number;
  adaptive?: 'converge' | 'binary' | 'linear';
  delta?: number;
  maxIterations?: number;
  seed?: number;
  image: string[];
  task: string;
  state: string;
}

function parsePositiveInt(flag: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1) throw new UserError(`${flag} ${value} is invalid: use a whole number >= 1`);
    return parsed;
  };
}

function parseSeed(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 0xffffffff) throw new UserError(`--seed ${value} is invalid: use a whole number from 0 to 4294967295`);
  return parsed;
}

function parseDelta(value: string): number {
  const parsed = Number(value);
  if (!(parsed > 0) || !Number.isFinite(parsed)) throw new UserError(`--delta ${value} is invalid: use a positive mean squared change such as 5e-4`);
  return parsed;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Parses "v1,v2,..." into numbers; the runtime checks the count against the model. */
function parseState(text: string): number[] {
  return text.split(',').map((part, index) => {
    const value = Number(part.trim());
    if (part.trim() === '' || !Number.isFinite(value)) throw new UserError(`--state value ${index} ("${part}") is not a number: pass comma-separated joint positions`);
    return value;
  });
}

/** Reads `--image CAMERA=FILE` pairs; the runtime rejects cameras the model does not take. */
function readImages(pairs: string[]): Record<string, CameraFrame> {
  const frames: Record<string, CameraFrame> = {};
  for (const pair of pairs) {
    const separator = pair.indexOf('=');
    if (separator <= 0 || separator === pair.length - 1) throw new UserError(`--image ${pair} is invalid: use --image CAMERA=FILE`);
    const camera = pair.slice(0, separator);
    const file = pair.slice(separator + 1);
    if (camera in frames) throw new UserError(`--image names camera ${camera} twice: give one file per camera`);
    try {
      frames[camera] = { format: 'jpeg', data: readFileSync(file) };
    } catch (error) {
      throw new UserError(`cannot read image ${file} for camera ${camera}: ${errorMessage(error)}`);
    }
  }
  return frames;
}

function depthMode(options: RunOptions): DepthMode | undefined {
  if (options.depth !== undefined && options.adaptive !== undefined) throw new UserError('--depth and --adaptive exclude each other: choose a fixed depth or an adaptive mode');
  if (options.adaptive !== undefined) return { kind: options.adaptive, delta: options.delta, maxIterations: options.maxIterations };
  if (options.delta !== undefined || options.maxIterations !== undefined) throw new UserError('--delta and --max-iterations apply to --adaptive modes only');
  if (options.depth !== undefined) return { kind: 'fixed', depth: options.depth };
  return undefined;
}

/** Splits the flat action chunk into rows of one action each. */
function actionRows(result: InferenceResult): number[][] {
  return Array.from({ length: result.chunkSize }, (_, row) => Array.from(result.actions.subarray(row * result.actionSize, (row + 1) * result.actionSize)));
}

function printInfo(info: PolicyInfo): void {
  const s = info.sizes;
  console.log(`model ${info.name} (${info.dir})${info.headOnly ? ', head only' : ''}`);
  if (info.trained === false) console.log('weights: random (untrained): the model exercises the runtime but does not solve a task');
  console.log(`execution provider: ${info.provider} (${info.providerReason}), ${info.intraOpThreads} intra-op threads`);
  console.log(`cameras: ${info.cameras.join(', ')} at ${info.image.width}x${info.image.height}`);
  console.log(`joints (${s.actionSize}): ${info.jointNames.join(', ')}`);
  console.log(
    `head: D ${s.hiddenSize}, ${s.heads} heads, ${s.coreLayers} core layers, chunk ${s.chunkSize}; ` +
      `backbone: D ${s.backboneHiddenSize}, ${s.contextTokens} context + ${s.latentTokens} latent tokens, ${s.maxTaskTokens} task tokens`,
  );
  const inference = info.inference;
  console.log(
    `inference: depth ${inference.defaultDepth}, adaptive up to ${inference.maxIterations} iterations with delta ${inference.delta} from k = ${inference.firstCheck}, ` +
      `fixed horizon ${inference.fixedHorizon}, binary ${binaryRuleText(inference.binary)}, ` +
      `linear ${linearRuleText(inference.linear)}`,
  );
  for (const [graph, description] of Object.entries(info.graphs)) {
    console.log(`${graph}: ${description.file}, ${(description.bytes / 1e6).toFixed(2)} MB`);
    console.log(`  in:  ${description.inputs.join('; ')}`);
    console.log(`  out: ${description.outputs.join('; ')}`);
  }
}

function binaryRuleText(rule: PolicyInfo['inference']['binary']): string {
  const [hard, easy] = rule.direction === 'hard-replans-sooner' ? [rule.short, rule.long] : [rule.long, rule.short];
  return `${rule.direction} (${hard} actions at k* > ${rule.threshold}, else ${easy})`;
}

function linearRuleText(rule: PolicyInfo['inference']['linear']): string {
  const fullChunk = rule.fullChunkAtOrBelow === undefined || rule.fullChunkAtOrBelow === null ? '' : `whole chunk at k* <= ${rule.fullChunkAtOrBelow}, else `;
  return `(${fullChunk}max(${rule.hMin}, ${rule.hMax} - max(0, k* - ${rule.tauBase})))`;
}

function printResult(result: InferenceResult): void {
  const t = result.timingsMs;
  console.log(`k* ${result.kStar}, horizon ${result.horizon} of ${result.chunkSize} actions (${result.mode.kind}, seed ${result.seed})`);
  if (result.trace.length > 0) console.log(`trace: ${result.trace.map((change) => change.toExponential(2)).join(' ')}`);
  console.log(
    `timings ms: preprocess ${t.preprocess.toFixed(2)}, backbone ${t.backbone.toFixed(2)}, prelude ${t.prelude.toFixed(2)}, ` +
      `core ${t.core.toFixed(2)}, coda ${t.coda.toFixed(2)}, total ${t.total.toFixed(2)}`,
  );
  for (const [index, row] of actionRows(result).entries()) {
    console.log(`action ${index}: ${row.map((value) => value.toFixed(4)).join(' ')}`);
  }
}

async function withPolicy<T>(options: CommonOptions, use: (policy: RdvlaPolicy) => Promise<T>): Promise<T> {
  const policy = await RdvlaPolicy.load(options.model, { provider: options.provider });
  try {
    return await use(policy);
  } finally {
    await policy.close();
  }
}

function providerOption(): Option {
  return new Option('--provider <name>', 'execution provider (default: cuda, then webgpu, then cpu, whichever loads)').choices(PROVIDERS).argParser(parseProvider);
}

/** Adds `rdvla policy info` and `rdvla policy run`. */
export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('Inspect and run an exported RD-VLA policy');

  policy
    .command('info')
    .description('Show a model directory: manifest summary, graphs with their inputs and outputs, execution provider')
    .requiredOption('--model <dir>', 'model directory (manifest.json, tokenizer.json, ONNX graphs)')
    .addOption(providerOption())
    .option('--json', 'print JSON')
    .action(async (options: CommonOptions) => {
      const info = await withPolicy(options, async (loaded) => loaded.info());
      if (options.json) console.log(JSON.stringify(info, null, 2));
      else printInfo(info);
    });

  policy
    .command('run')
    .description('Run one inference on camera images, a task and a joint state; prints k*, horizon, actions and stage timings')
    .requiredOption('--model <dir>', 'model directory (manifest.json, tokenizer.json, ONNX graphs)')
    .option('--depth <iterations>', 'fixed number of recurrent iterations (default: the manifest defaultDepth)', parsePositiveInt('--depth'))
    .addOption(new Option('--adaptive <mode>', 'stop when the actions converge; horizon from k* by the binary or linear rule, or fixed for converge').choices(['converge', 'binary', 'linear']))
    .option('--delta <value>', 'convergence threshold on the mean squared change of the normalised chunk (default: manifest)', parseDelta)
    .option('--max-iterations <n>', 'iteration cap of the adaptive modes (default: manifest)', parsePositiveInt('--max-iterations'))
    .option('--seed <uint32>', 'seed of the scratchpad initialisation (default: random)', parseSeed)
    .addOption(providerOption())
    .option('--image <camera=file>', 'image file for a camera, repeatable; cameras without one get mid-grey', collect, [])
    .requiredOption('--task <text>', 'task instruction', taskText)
    .requiredOption('--state <values>', "joint state, comma-separated in the model's joint order: radians for arm joints, 0 (closed) to 1 (open) for grippers")
    .option('--json', 'print JSON {kStar, horizon, actions, trace, timingsMs}')
    .action(async (options: RunOptions) => {
      const mode = depthMode(options);
      const state = parseState(options.state);
      const frames = readImages(options.image);

      const result = await withPolicy(options, (loaded) => loaded.infer({ frames, task: options.task, state, mode, seed: options.seed }));
      if (options.json) {
        const { kStar, horizon, trace, timingsMs, seed } = result;
        console.log(JSON.stringify({ kStar, horizon, actions: actionRows(result), trace, timingsMs, seed, mode: result.mode, greyCameras: result.greyCameras }));
      } else {
        printResult(result);
      }
    });
}
