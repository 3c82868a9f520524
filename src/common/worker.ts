import { Worker } from 'node:worker_threads';

/**
 * Returns the URL of the module `stem` in the same folder as `baseUrl`, with the same
 * extension: `.ts` when the caller runs from TypeScript source (Vitest, tsx), `.js` when it
 * runs from dist/.
 */
export function siblingModuleUrl(baseUrl: string, stem: string): URL {
  const extension = baseUrl.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${stem}${extension}`, baseUrl);
}

/**
 * Starts a worker thread on the module at `url`, with `workerData`. A `.ts` module is loaded
 * through tsx's loader hooks, so workers also run from TypeScript source under Vitest.
 */
export function startWorker(url: URL, workerData: unknown): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData });

  // `execArgv: ['--import', 'tsx']` does not reach a worker's entry module on Node 20.20 with
  // tsx 4.23 ("Unknown file extension .ts"), so a small bootstrap registers tsx first.
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}
