import os from 'node:os';
import ort from 'onnxruntime-node';
import { siblingModuleUrl, startWorker } from '../src/common/worker.js';
import { singleNodeModelBytes } from '../src/policy/single-node-model.js';

/** Measured limits of this machine that bound one recurrent iteration. */
export interface MachineLimits {
  threads: number;
  /** Bytes per second moved by parallel Float32Array copies (read + write counted). */
  copyBandwidth: number;
  /** Bytes per second read by onnxruntime ReduceSum over a 128 MB tensor: the bound for streaming weights. */
  readBandwidth: number;
  /** Bytes per second of weight streamed by onnxruntime MatMul [8, 896] x [896, 35840] (a GEMV-like product). */
  streamingMatmulBandwidth: number;
  /** Floating-point operations per second of onnxruntime MatMul 1024 x 1024 x 1024. */
  matmulFlops: number;
}

const COPY_FLOATS = 32 * 1024 * 1024; // 128 MB per array, far larger than any cache
const COPIES = 8;

/** Runs one 128 MB copy loop per thread at once; returns bytes moved per second. */
async function measureCopyBandwidth(threads: number): Promise<number> {
  const url = siblingModuleUrl(import.meta.url, 'bandwidth-worker');
  const workers = Array.from({ length: threads }, () => startWorker(url, { floats: COPY_FLOATS, copies: COPIES }));
  try {
    await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('message', resolve))));
    const results = await Promise.all(
      workers.map(
        (worker) =>
          new Promise<{ seconds: number }>((resolve) => {
            worker.once('message', resolve);
            worker.postMessage('go');
          }),
      ),
    );
    const seconds = Math.max(...results.map((result) => result.seconds));
    return (threads * COPIES * COPY_FLOATS * 4 * 2) / seconds;
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

function randomTensor(shape: number[]): ort.Tensor {
  const data = new Float32Array(shape.reduce((product, dim) => product * dim, 1));
  for (let i = 0; i < data.length; i++) data[i] = Math.random() - 0.5;
  return new ort.Tensor('float32', data, shape);
}

/** Returns the best of `repeats` timed runs of a one-node graph, in seconds. */
async function timeNode(model: Uint8Array, feeds: Record<string, ort.Tensor>, fetches: Record<string, ort.Tensor>, threads: number, repeats: number): Promise<number> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: threads });
  try {
    await session.run(feeds, fetches);
    let best = Infinity;
    for (let i = 0; i < repeats; i++) {
      const started = process.hrtime.bigint();
      await session.run(feeds, fetches);
      best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e9);
    }
    return best;
  } finally {
    await session.release();
  }
}

function timeMatmul(m: number, k: number, n: number, threads: number, repeats: number): Promise<number> {
  const model = singleNodeModelBytes('MatMul', [{ name: 'a', shape: [m, k] }, { name: 'b', shape: [k, n] }], [{ name: 'c', shape: [m, n] }]);
  const fetches = { c: new ort.Tensor('float32', new Float32Array(m * n), [m, n]) };
  return timeNode(model, { a: randomTensor([m, k]), b: randomTensor([k, n]) }, fetches, threads, repeats);
}

/** ReduceSum over all elements (keepdims 1, so the output is [1, 1]). */
function timeReduceSum(rows: number, columns: number, threads: number, repeats: number): Promise<number> {
  const model = singleNodeModelBytes('ReduceSum', [{ name: 'x', shape: [rows, columns] }], [{ name: 'y', shape: [1, 1] }]);
  const fetches = { y: new ort.Tensor('float32', new Float32Array(1), [1, 1]) };
  return timeNode(model, { x: randomTensor([rows, columns]) }, fetches, threads, repeats);
}

export async function measureMachineLimits(): Promise<MachineLimits> {
  const threads = os.availableParallelism();
  const copyBandwidth = await measureCopyBandwidth(threads);
  const readBandwidth = (COPY_FLOATS * 4) / (await timeReduceSum(8192, COPY_FLOATS / 8192, threads, 10));

  const streamingSeconds = await timeMatmul(8, 896, 35840, threads, 10);
  const streamingMatmulBandwidth = (896 * 35840 * 4) / streamingSeconds;

  const squareSeconds = await timeMatmul(1024, 1024, 1024, threads, 5);
  const matmulFlops = (2 * 1024 ** 3) / squareSeconds;
  return { threads, copyBandwidth, readBandwidth, streamingMatmulBandwidth, matmulFlops };
}
