import { z } from 'zod';
import type { StudioApi } from './api.js';

/** Params of every API call, checked before the call reaches the service. */

const none = z.union([z.undefined(), z.null(), z.strictObject({})]).transform(() => undefined);
const arm = z.enum(['left_leader', 'left_follower', 'right_leader', 'right_follower']);
const episodeId = z.strictObject({ id: z.int().positive() });
const task = z.string().trim().min(1, 'enter a task description').max(500);
const policyDir = z.strictObject({ dir: z.string().min(1) });

type ParamsOf<F> = F extends (params: infer P) => unknown ? P : undefined;

/** One schema per method; the mapped type makes the compiler demand a schema for each method of StudioApi. */
type MethodSchemas = {
  [G in keyof StudioApi]: { [M in keyof StudioApi[G]]: z.ZodType<ParamsOf<StudioApi[G][M]>, unknown> };
};

export const METHOD_SCHEMAS: MethodSchemas = {
  rig: {
    status: none,
    connect: z
      .strictObject({ sim: z.boolean().optional(), rigFile: z.string().min(1).optional(), seed: z.int().min(0).optional() })
      .refine((p) => Boolean(p.sim) !== Boolean(p.rigFile), { message: 'pass either sim: true or a rigFile, not both' }),
    disconnect: none,
    listPorts: none,
    scanMotors: z.strictObject({ port: z.string().min(1).optional(), baudRate: z.int().positive().optional() }),
    setTorque: z.strictObject({ arm, enabled: z.boolean() }),
  },
  calibration: {
    status: none,
    begin: z.strictObject({ arm }),
    markMiddle: none,
    finish: none,
    cancel: none,
  },
  teleop: { start: none, stop: none, status: none },
  recording: {
    status: none,
    start: z.strictObject({ task }),
    stop: none,
    rerecord: z.strictObject({ task: task.optional() }),
    discard: none,
  },
  rollout: {
    status: none,
    start: z.strictObject({
      policyDir: z.string().min(1),
      task: z.string().trim().max(500).optional(),
      strategy: z.enum(['fixed', 'binary', 'linear', 'converge']),
      depth: z.int().min(1).max(256).optional(),
      delta: z.number().positive().max(1).optional(),
      tau: z.int().min(0).max(256).optional(),
      horizon: z.int().min(1).max(1024).optional(),
      maxSeconds: z.number().positive().max(3600).optional(),
      sceneSeed: z.int().min(0).optional(),
    }),
    stop: none,
    estop: none,
  },
  episodes: {
    list: z.strictObject({
      task: z.string().min(1).optional(),
      kind: z.enum(['teleop', 'rollout']).optional(),
      outcome: z.enum(['unlabelled', 'success', 'failure']).optional(),
    }),
    get: episodeId,
    label: z.strictObject({ id: z.int().positive(), outcome: z.enum(['unlabelled', 'success', 'failure']) }),
    delete: episodeId,
    frames: z.strictObject({ id: z.int().positive(), tS: z.number().min(0) }),
    telemetry: episodeId,
  },
  policies: { list: none, load: policyDir, manifest: policyDir },
  export: {
    availability: none,
    start: z.strictObject({
      episodeIds: z.array(z.int().positive()).min(1, 'select at least one episode'),
      format: z.enum(['lerobot', 'aloha-hdf5']),
      outDir: z.string().min(1).optional(),
      name: z.string().min(1).optional(),
    }),
  },
};

/** Formats zod issues as "field: message" parts for an error a user can act on. */
export function describeParamIssues(method: string, error: z.ZodError): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return `${path}${issue.message}`;
  });
  return `invalid parameters for ${method}: ${parts.join('; ')}`;
}
