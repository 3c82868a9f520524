/**
 * Benchmark dispatcher: `npm run bench -- SUITE [ARGS...]` builds, then runs `node dist/bench/run.js SUITE`.
 * Each suite module exports `run(args)` and prints its figures.
 */
type Suite = { run: (args: string[]) => Promise<void> };

const SUITES: Record<string, () => Promise<Suite>> = {
  depth: () => import('./depth.js'),
  export: () => import('./export.js'),
  policy: () => import('./policy.js'),
  rollout: () => import('./rollout.js'),
  teleop: () => import('./teleop.js'),
};

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const load = name === undefined ? undefined : SUITES[name];
  if (load === undefined) {
    console.error(`usage: npm run bench -- SUITE [ARGS...], with SUITE one of: ${Object.keys(SUITES).join(', ')}`);
    process.exitCode = 1;
    return;
  }
  const suite = await load();
  try {
    await suite.run(args);
  } catch (error) {
    // Errors from a bad option or a failed step name the fix in their message, so the stack is left out.
    console.error(`bench ${name}: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

await main();
