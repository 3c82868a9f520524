import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError, errorMessage } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { loadModelDir } from '../policy/model-dir.js';
import { PolicyClient } from '../policy/policy-client.js';
import type { LoadedPolicy, PoliciesApi, PolicyDirParams, PolicyEntry } from './api.js';

const log = createLogger('policies');

/**
 * Model directories under the models folder (native-models/ by default), their manifests, and
 * one loaded policy, which runs in a worker thread so inference never blocks the service.
 */
export class PoliciesService implements PoliciesApi {
  readonly modelsDir: string;
  #client: PolicyClient | null = null;
  #loaded: LoadedPolicy | null = null;

  constructor(modelsDir: string) {
    this.modelsDir = path.resolve(modelsDir);
  }

  async list(): Promise<PolicyEntry[]> {
    if (!existsSync(this.modelsDir)) return [];
    const entries: PolicyEntry[] = [];
    for (const name of readdirSync(this.modelsDir).sort()) {
      const dir = path.join(this.modelsDir, name);
      if (!statSync(dir).isDirectory() || !existsSync(path.join(dir, 'manifest.json'))) continue;
      try {
        const { manifest } = loadModelDir(dir);
        entries.push({ name: manifest.name, dir, error: null, cameras: manifest.cameras, actionSize: manifest.actionSize });
      } catch (error) {
        entries.push({ name, dir, error: errorMessage(error), cameras: [], actionSize: null });
      }
    }
    return entries;
  }

  /** Resolves a model directory given by the UI: absolute, or a folder name under the models folder. */
  resolveDir(dir: string): string {
    return path.isAbsolute(dir) ? dir : path.join(this.modelsDir, dir);
  }

  async manifest(params: PolicyDirParams): Promise<Record<string, unknown>> {
    return loadModelDir(this.resolveDir(params.dir)).manifest as unknown as Record<string, unknown>;
  }

  async load(params: PolicyDirParams): Promise<LoadedPolicy> {
    const dir = this.resolveDir(params.dir);
    if (this.#loaded?.dir === path.resolve(dir)) return this.#loaded;
    await this.close();

    const client = new PolicyClient();
    try {
      const info = await client.load(dir);
      this.#client = client;
      this.#loaded = {
        name: info.name,
        dir: info.dir,
        provider: info.provider,
        providerReason: info.providerReason,
        cameras: info.cameras,
        jointNames: info.jointNames,
        sizes: { ...info.sizes },
        inference: info.inference,
      };
      log.info(`policy ${info.name} loaded from ${info.dir} on ${info.provider}`);
      return this.#loaded;
    } catch (error) {
      await client.close().catch(() => undefined);
      if (error instanceof UserError) throw error;
      throw new UserError(`loading the policy in ${dir} failed: ${errorMessage(error)}`);
    }
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = null;
    this.#loaded = null;
    if (client) await client.close();
  }
}
