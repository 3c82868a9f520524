import path from 'node:path';
import { createLogger } from '../common/log.js';
import type { SimRigOptions } from '../sim/sim-rig.js';
import { errorMessage } from '../common/errors.js';
import { packageRoot } from '../common/package-root.js';
import { StudioService } from './studio-service.js';
import { type StudioServer, startStudioServer } from './studio-server.js';

const log = createLogger('studio');

export interface StudioRuntimeOptions {
  dbPath: string;
  /** Rig to connect at start: the simulated one, a rig file, or none (connect from the Rig page). */
  rig: { sim: true } | { rigFile: string } | null;
  modelsDir?: string;
  exportDir?: string;
  simOptions?: SimRigOptions;
}

/** Creates the service and connects the rig given at start; a failed connection is logged and the UI shows it. */
export async function createStudioService(options: StudioRuntimeOptions): Promise<StudioService> {
  const root = packageRoot();
  const service = new StudioService({
    dbPath: options.dbPath,
    modelsDir: options.modelsDir ?? path.join(root, 'native-models'),
    exportDir: options.exportDir ?? path.resolve('exports'),
    simOptions: options.simOptions,
  });
  if (options.rig) {
    try {
      await service.rig.connect(options.rig);
    } catch (error) {
      log.error(`connecting the rig failed: ${errorMessage(error)}: connect it from the Rig page`);
    }
  }
  return service;
}

export interface BrowserModeOptions extends StudioRuntimeOptions {
  host: string;
  port: number;
  staticDir?: string;
  token?: string;
}

/** Browser mode: the service plus the WebSocket and static-file server on one port. */
export async function startBrowserMode(options: BrowserModeOptions): Promise<{ service: StudioService; server: StudioServer; close(): Promise<void> }> {
  const service = await createStudioService(options);
  const server = await startStudioServer({
    api: service,
    events: service.events,
    host: options.host,
    port: options.port,
    staticDir: options.staticDir ?? path.join(packageRoot(), 'renderer', 'dist'),
    token: options.token,
  }).catch(async (error: unknown) => {
    await service.close();
    throw error;
  });
  return {
    service,
    server,
    async close() {
      await server.close();
      await service.close();
    },
  };
}
