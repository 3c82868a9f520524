import { parentPort, workerData } from 'node:worker_threads';

/**
 * Copies one large Float32Array into another `copies` times when the main thread posts a start
 * message, then posts the seconds it took. Several of these run at once to measure the machine's
 * memory bandwidth.
 */
const { floats, copies } = workerData as { floats: number; copies: number };
const source = new Float32Array(floats).fill(1);
const target = new Float32Array(floats);

parentPort?.on('message', () => {
  const started = process.hrtime.bigint();
  for (let i = 0; i < copies; i++) target.set(source);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  parentPort?.postMessage({ seconds, checksum: target[floats - 1] });
});
parentPort?.postMessage('ready');
