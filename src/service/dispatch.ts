import { UserError, errorMessage } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import type { CallOutcome, StudioApi } from './api.js';
import type { z } from 'zod';
import { METHOD_SCHEMAS, describeParamIssues } from './schemas.js';

const log = createLogger('service');

type AnyMethod = (params: unknown) => Promise<unknown>;

/**
 * Runs one API call by name ("group.method") on `api`: checks the name and the params, then
 * returns the result or a readable error message. Both transports (WebSocket, Electron IPC) call
 * this, so validation and error reporting are the same everywhere. Stack traces go to the log,
 * never to the caller.
 */
export async function dispatchCall(api: StudioApi, method: unknown, params: unknown): Promise<CallOutcome> {
  const found = typeof method === 'string' ? lookUp(api, method) : null;
  if (!found) return { error: `unknown method ${JSON.stringify(method)}: use one of ${listMethods().join(', ')}` };

  const parsed = found.schema.safeParse(params);
  if (!parsed.success) return { error: describeParamIssues(method as string, parsed.error) };

  try {
    return { result: (await found.call(parsed.data)) ?? null };
  } catch (error) {
    if (error instanceof UserError) {
      log.warn(`${method as string}: ${error.message}`);
      return { error: error.message };
    }
    log.error(`${method as string} failed: ${error instanceof Error && error.stack ? error.stack : errorMessage(error)}`);
    return { error: `${method as string} failed: ${errorMessage(error)} (details in the service log)` };
  }
}

function lookUp(api: StudioApi, method: string): { schema: z.ZodType; call: AnyMethod } | null {
  const [group, name, ...rest] = method.split('.');
  if (!group || !name || rest.length > 0 || !Object.hasOwn(METHOD_SCHEMAS, group)) return null;
  const schemas = METHOD_SCHEMAS[group as keyof StudioApi] as unknown as Record<string, z.ZodType>;
  if (!Object.hasOwn(schemas, name)) return null;

  const target = api[group as keyof StudioApi] as unknown as Record<string, AnyMethod>;
  const fn = target[name];
  if (typeof fn !== 'function') return null;
  return { schema: schemas[name]!, call: (params) => fn.call(target, params) };
}

export function listMethods(): string[] {
  return Object.entries(METHOD_SCHEMAS).flatMap(([group, methods]) => Object.keys(methods).map((name) => `${group}.${name}`));
}
