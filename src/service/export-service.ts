import { UserError } from '../common/errors.js';
import type { ExportApi, ExportAvailability, ExportResult } from './api.js';

/** Dataset export (LeRobot, ALOHA HDF5). */
export class ExportService implements ExportApi {
  async availability(): Promise<ExportAvailability> {
    return { available: false, formats: [], reason: 'dataset export is not part of this build' };
  }

  async start(): Promise<ExportResult> {
    throw new UserError('dataset export is not part of this build: export with a build that includes src/export');
  }
}
