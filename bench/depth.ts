import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../src/common/package-root.js';

/**
 * `npm run bench -- depth [--json] [--reuse] [OPTIONS]`: the closed loop on the simulated rig.
 * Records demonstrations with the scripted operator, trains the tiny model on them, then runs
 * the same rollout seeds at fixed depths 1, 2, 4, 8 and 12 and with the binary, linear and
 * convergence strategies. Prints success rate and mean iterations per setting beside the
 * published LIBERO averages. --reuse (or --model and --db) skips recording and training.
 *
 * Options (defaults in parseOptions): --work DIR, --model DIR, --db FILE, --settings LIST
 * (e.g. 1,8,binary), --episodes N, --record-seconds S, --steps N, --batch-size N,
 * --depth-mean N, --goal-weight W, --rollouts N, --rollout-seconds S, --seed-base N.
 */

interface DepthOptions {
  work: string;
  episodes: number;
  recordSeconds: number;
  steps: number;
  batchSize: number;
  depthMean: number;
  goalWeight: number;
  rollouts: number;
  rolloutSeconds: number;
  seedBase: number;
  settings: string[];
  model?: string;
  db?: string;
  reuse: boolean;
  json: boolean;
}

interface RolloutSummary {
  inferences: number;
  meanKStar: number | null;
  meanHorizon: number | null;
  outcome: 'success' | 'failure' | 'unlabelled';
  fault: string | null;
}

interface SettingResult {
  setting: string;
  rollouts: number;
  successes: number;
  faults: number;
  successRate: number;
  meanIterations: number | null;
  meanHorizon: number | null;
  inferencesPerRollout: number;
  iterationsPerSecond: number;
}

/** LIBERO average success (%) and mean iterations per inference, as published for RD-VLA. */
const PUBLISHED: Record<string, { success: number; iterations: number } | undefined> = {
  'fixed 1': { success: 8.4, iterations: 1 },
  'fixed 2': { success: 40.5, iterations: 2 },
  'fixed 4': { success: 84.1, iterations: 4 },
  'fixed 8': { success: 92.6, iterations: 8 },
  'fixed 12': { success: 93.0, iterations: 12 },
  binary: { success: 92.5, iterations: 7.93 },
  converge: { success: 91.4, iterations: 7.66 },
};

const DEFAULT_SETTINGS = ['1', '2', '4', '8', '12', 'binary', 'linear', 'converge'];

const REPO_ROOT = packageRoot();
const CLI = path.join(REPO_ROOT, 'bin', 'rdvla.js');

/** Numeric options that take fractions; the others count things and take integers. */
const FRACTIONAL_OPTIONS = new Set(['--record-seconds', '--rollout-seconds', '--goal-weight']);

function parseOptions(args: string[]): DepthOptions {
  const options: DepthOptions = {
    work: path.join(REPO_ROOT, 'node_modules', '.cache', 'rdvla-bench', 'depth'),
    episodes: 800,
    recordSeconds: 4,
    steps: 5000,
    batchSize: 16,
    depthMean: 8,
    goalWeight: 1,
    rollouts: 10,
    rolloutSeconds: 6,
    seedBase: 100_000,
    settings: DEFAULT_SETTINGS,
    reuse: false,
    json: false,
  };
  const numeric: Record<string, keyof DepthOptions> = {
    '--episodes': 'episodes',
    '--record-seconds': 'recordSeconds',
    '--steps': 'steps',
    '--batch-size': 'batchSize',
    '--depth-mean': 'depthMean',
    '--goal-weight': 'goalWeight',
    '--rollouts': 'rollouts',
    '--rollout-seconds': 'rolloutSeconds',
    '--seed-base': 'seedBase',
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    if (flag === '--json') options.json = true;
    else if (flag === '--reuse') options.reuse = true;
    else if (flag === '--work' || flag === '--model' || flag === '--db') options[flag.slice(2) as 'work' | 'model' | 'db'] = path.resolve(requireValue(args, ++i, flag));
    else if (flag === '--settings') options.settings = requireValue(args, ++i, flag).split(',');
    else if (flag in numeric) {
      const value = Number(requireValue(args, ++i, flag));
      const zeroAllowed = flag === '--goal-weight';
      const fractionAllowed = FRACTIONAL_OPTIONS.has(flag);
      if (!Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed) || (!fractionAllowed && !Number.isInteger(value))) {
        throw new Error(`${flag} ${args[i]} is invalid: use a ${zeroAllowed ? 'non-negative' : 'positive'} ${fractionAllowed ? 'number' : 'integer'}`);
      }
      (options[numeric[flag]!] as number) = value;
    } else throw new Error(`unknown option ${flag}: see the header of bench/depth.ts`);
  }
  return options;
}

function requireValue(args: string[], index: number, flag: string): string {
  const value = args[index];
  if (value === undefined) throw new Error(`${flag} needs a value`);
  return value;
}

/** Runs `rdvla ARGS`; returns stdout, or throws with the command's stderr when it fails. */
function rdvla(args: string[], showStderr: boolean): string {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', showStderr ? 'inherit' : 'pipe'],
  });
  if (result.status !== 0) {
    throw new Error(`rdvla ${args.join(' ')} exited with ${result.status ?? result.signal}:\n${result.stderr ?? ''}`);
  }
  return result.stdout;
}

function settingFlags(setting: string): { label: string; flags: string[] } {
  if (/^\d+$/.test(setting)) return { label: `fixed ${setting}`, flags: ['--depth', setting] };
  if (['binary', 'linear', 'converge'].includes(setting)) return { label: setting, flags: ['--adaptive', setting] };
  throw new Error(`setting ${setting} is invalid: use a depth such as 8, or binary, linear or converge`);
}

/**
 * Records one demonstration per simulator start, scene seeds 1, 2, ...; an episode the rig
 * stops early (bus timeouts on a loaded machine) is discarded by training as incomplete, and
 * recording goes on until `episodes` complete ones or twice as many tries.
 */
function recordDemonstrations(options: DepthOptions, db: string): void {
  console.error(`recording ${options.episodes} demonstrations of ${options.recordSeconds} s with the scripted operator ...`);
  let complete = 0;
  for (let seed = 1; complete < options.episodes && seed <= 2 * options.episodes; seed++) {
    const args = ['record', '--sim', '--seed', String(seed), '--seconds', String(options.recordSeconds), '--db', db, '--json'];
    try {
      const episode = JSON.parse(rdvla(args, false).trim().split('\n').at(-1)!) as { cutShort?: boolean; outcome?: string };
      if (!episode.cutShort) complete++;
    } catch (error) {
      console.error(`demonstration seed ${seed} failed: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`);
    }
  }
  console.error(`recorded ${complete} complete demonstrations`);
}

function prepareModel(options: DepthOptions): { model: string; db: string; trainSeconds: number | null } {
  const model = options.model ?? path.join(options.work, 'model');
  const db = options.db ?? path.join(options.work, 'demos.db');
  if (options.reuse || options.model !== undefined) {
    if (!existsSync(path.join(model, 'manifest.json'))) {
      const remedy = options.model !== undefined ? 'pass a model directory that rdvla train wrote' : 'run once without --reuse to train one';
      throw new Error(`no model in ${model}: ${remedy}`);
    }
    return { model, db, trainSeconds: null };
  }
  if (options.db !== undefined && existsSync(db)) {
    throw new Error(`--db ${db} exists, and without --model the bench records new demonstrations into it: pass --model too, or name a new file`);
  }

  mkdirSync(options.work, { recursive: true });
  rmSync(db, { force: true });
  rmSync(model, { recursive: true, force: true });
  recordDemonstrations(options, db);

  console.error(`training the tiny model for ${options.steps} steps (depth mean ${options.depthMean}, goal weight ${options.goalWeight}) ...`);
  const started = performance.now();
  rdvla(['train', '--db', db, '--out', model, '--name', 'rdvla-tiny-sim', '--steps', String(options.steps), '--batch-size', String(options.batchSize), '--depth-mean', String(options.depthMean), '--goal-weight', String(options.goalWeight), '--device', 'cpu'], true);
  return { model, db, trainSeconds: (performance.now() - started) / 1000 };
}

function runSetting(options: DepthOptions, model: string, rolloutDb: string, setting: string): SettingResult {
  const { label, flags } = settingFlags(setting);
  const summaries: RolloutSummary[] = [];
  let faults = 0;
  for (let i = 0; i < options.rollouts; i++) {
    const seed = String(options.seedBase + i);
    const args = ['rollout', '--sim', '--model', model, '--seconds', String(options.rolloutSeconds), '--db', rolloutDb, '--seed', seed, '--json', ...flags];
    try {
      const lines = rdvla(args, false).trim().split('\n');
      summaries.push((JSON.parse(lines.at(-1)!) as { summary: RolloutSummary }).summary);
    } catch (error) {
      faults++;
      console.error(`${label} seed ${seed}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const inferences = summaries.reduce((sum, s) => sum + s.inferences, 0);
  const iterations = summaries.reduce((sum, s) => sum + (s.meanKStar ?? 0) * s.inferences, 0);
  const horizons = summaries.reduce((sum, s) => sum + (s.meanHorizon ?? 0) * s.inferences, 0);
  const successes = summaries.filter((s) => s.outcome === 'success').length;
  return {
    setting: label,
    rollouts: options.rollouts,
    successes,
    faults,
    successRate: successes / options.rollouts,
    meanIterations: inferences > 0 ? iterations / inferences : null,
    meanHorizon: inferences > 0 ? horizons / inferences : null,
    inferencesPerRollout: summaries.length > 0 ? inferences / summaries.length : 0,
    iterationsPerSecond: summaries.length > 0 ? iterations / (summaries.length * options.rolloutSeconds) : 0,
  };
}

function formatRow(result: SettingResult): string {
  const published = PUBLISHED[result.setting];
  const cells = [
    result.setting,
    `${(100 * result.successRate).toFixed(0)}% (${result.successes}/${result.rollouts}${result.faults > 0 ? `, ${result.faults} failed to run` : ''})`,
    result.meanIterations === null ? 'n/a' : result.meanIterations.toFixed(2),
    result.meanHorizon === null ? 'n/a' : result.meanHorizon.toFixed(2),
    result.inferencesPerRollout.toFixed(1),
    result.iterationsPerSecond.toFixed(1),
    published === undefined ? 'n/a' : `${published.success.toFixed(1)}% at ${published.iterations}`,
  ];
  return `| ${cells.join(' | ')} |`;
}

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args);
  const { model, db, trainSeconds } = prepareModel(options);
  const rolloutDb = path.join(options.work, 'rollouts.db');
  mkdirSync(options.work, { recursive: true });
  rmSync(rolloutDb, { force: true });

  const results: SettingResult[] = [];
  for (const setting of options.settings) {
    console.error(`${settingFlags(setting).label}: ${options.rollouts} rollouts of ${options.rolloutSeconds} s ...`);
    results.push(runSetting(options, model, rolloutDb, setting));
  }

  const report = { model, db, rolloutDb, trainSeconds, options: { ...options, work: undefined }, results };
  writeFileSync(path.join(options.work, 'depth-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  if (options.json) {
    console.log(JSON.stringify(report));
    return;
  }
  console.log(`\nsimulated table task, ${options.rollouts} rollouts of ${options.rolloutSeconds} s per setting (seeds ${options.seedBase}..${options.seedBase + options.rollouts - 1}), model ${model}`);
  const training = (JSON.parse(readFileSync(path.join(model, 'manifest.json'), 'utf8')) as { source?: { training?: { episodes: number; steps: number } } }).source?.training;
  if (training !== undefined) console.log(`model trained on ${training.episodes} successful demonstrations for ${training.steps} steps`);
  if (trainSeconds !== null) console.log(`training took ${(trainSeconds / 60).toFixed(1)} min`);
  console.log('| setting | success | mean iterations (k*) | mean horizon | inferences per rollout | iterations per second | published LIBERO avg |');
  console.log('|---|---|---|---|---|---|---|');
  for (const result of results) console.log(formatRow(result));
}
