import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { UserError, errorMessage } from '../common/errors.js';
import { identityModelBytes } from './single-node-model.js';

export const PROVIDERS = ['cuda', 'webgpu', 'cpu'] as const;
export type ExecutionProvider = (typeof PROVIDERS)[number];

/** The provider the policy runs on and why it was chosen, for the start-up log line. */
export interface ProviderChoice {
  provider: ExecutionProvider;
  reason: string;
}

export function parseProvider(value: string): ExecutionProvider {
  if ((PROVIDERS as readonly string[]).includes(value)) return value as ExecutionProvider;
  throw new UserError(`unknown execution provider "${value}": use one of ${PROVIDERS.join(', ')}`);
}

/** Folder of onnxruntime-node's native libraries for this platform (where its CUDA provider must be installed). */
function onnxruntimeBinFolder(): string {
  const require = createRequire(import.meta.url);
  const packageRoot = path.dirname(require.resolve('onnxruntime-node/package.json'));
  return path.join(packageRoot, 'bin', 'napi-v6', process.platform, process.arch);
}

const CUDA_PROVIDER_LIBRARY = 'libonnxruntime_providers_cuda.so';

/** Lists the shared libraries that `ldd` cannot resolve for a file, or null when ldd is unavailable. */
function unresolvedLibraries(file: string): string[] | null {
  try {
    const output = execFileSync('ldd', [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return output
      .split('\n')
      .filter((line) => line.includes('=> not found'))
      .map((line) => line.trim().split(/\s+/)[0] ?? line.trim());
  } catch {
    return null;
  }
}

/** Checks that onnxruntime-node's CUDA provider and the CUDA runtime libraries it links can be loaded. */
export function cudaAvailability(): { available: boolean; reason: string } {
  const supported = ort.listSupportedBackends().some((backend) => backend.name === 'cuda');
  if (!supported) return { available: false, reason: `onnxruntime-node ${ort.env.versions.node ?? ''} on ${process.platform}-${process.arch} has no CUDA provider` };

  const providerPath = path.join(onnxruntimeBinFolder(), CUDA_PROVIDER_LIBRARY);
  if (!existsSync(providerPath)) {
    return { available: false, reason: `${CUDA_PROVIDER_LIBRARY} is not installed (reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12)` };
  }

  const missing = unresolvedLibraries(providerPath);
  if (missing === null) return { available: true, reason: `${CUDA_PROVIDER_LIBRARY} found (ldd unavailable, CUDA libraries not checked)` };
  if (missing.length > 0) return { available: false, reason: `CUDA libraries not found: ${missing.join(', ')}` };
  return { available: true, reason: `${CUDA_PROVIDER_LIBRARY} and its CUDA libraries (libcudart, cuBLAS, cuDNN) resolve` };
}

/** On Linux a GPU adapter needs a DRM render node or an NVIDIA device node. */
function linuxHasGpuDeviceNode(): boolean {
  const nodes = (folder: string, prefix: string): boolean => existsSync(folder) && readdirSync(folder).some((name) => name.startsWith(prefix));
  return nodes('/dev/dri', 'renderD') || nodes('/dev', 'nvidia');
}

/** Probes WebGPU by creating a one-node session, which fails when no GPU adapter is found. */
export async function webgpuAvailability(): Promise<{ available: boolean; reason: string }> {
  const supported = ort.listSupportedBackends().some((backend) => backend.name === 'webgpu');
  if (!supported) return { available: false, reason: 'this onnxruntime-node build has no WebGPU provider' };
  if (process.platform === 'linux' && !linuxHasGpuDeviceNode()) {
    return { available: false, reason: 'no GPU device node (/dev/dri/renderD*, /dev/nvidia*)' };
  }

  try {
    const session = await ort.InferenceSession.create(identityModelBytes(), { executionProviders: ['webgpu'] });
    await session.release();
    return { available: true, reason: 'a WebGPU adapter was found' };
  } catch (error) {
    return { available: false, reason: `WebGPU probe failed: ${errorMessage(error).split('\n')[0]}` };
  }
}

/**
 * Chooses the execution provider: the forced one when given, else CUDA when its libraries load,
 * else WebGPU when a GPU adapter is found, else CPU.
 */
export async function chooseExecutionProvider(forced?: ExecutionProvider): Promise<ProviderChoice> {
  if (forced === 'cpu') return { provider: 'cpu', reason: 'forced by --provider' };
  if (forced === 'cuda') {
    const cuda = cudaAvailability();
    if (!cuda.available) throw new UserError(`--provider cuda requested but ${cuda.reason}`);
    return { provider: 'cuda', reason: `forced by --provider; ${cuda.reason}` };
  }
  if (forced === 'webgpu') {
    const webgpu = await webgpuAvailability();
    if (!webgpu.available) throw new UserError(`--provider webgpu requested but ${webgpu.reason}`);
    return { provider: 'webgpu', reason: `forced by --provider; ${webgpu.reason}` };
  }

  const cuda = cudaAvailability();
  if (cuda.available) return { provider: 'cuda', reason: cuda.reason };
  const webgpu = await webgpuAvailability();
  if (webgpu.available) return { provider: 'webgpu', reason: `${webgpu.reason}; CUDA unavailable: ${cuda.reason}` };
  return { provider: 'cpu', reason: `CUDA unavailable: ${cuda.reason}; WebGPU unavailable: ${webgpu.reason}` };
}
