import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UserError, errorMessage } from '../common/errors.js';

export const ARM_NAMES = ['left_leader', 'left_follower', 'right_leader', 'right_follower'] as const;
export type ArmName = (typeof ARM_NAMES)[number];
export type Side = 'left' | 'right';

/** Baud rates a Dynamixel X-series bus can run at (Baud Rate register values 0..7). */
export const DYNAMIXEL_BAUD_RATES = [9600, 57600, 115200, 1000000, 2000000, 3000000, 4000000, 4500000] as const;

export const SERVO_MODELS = ['xm430-w350', 'xl430-w250', 'xm540-w270', 'xl330-m288'] as const;
export type ServoModel = (typeof SERVO_MODELS)[number];

export const GRIPPER_JOINT = 'gripper';

const calibrationSchema = z
  .strictObject({
    /** Ticks added to the raw position before it is converted to a joint value. */
    homingOffset: z.number().int(),
    /** 1 when raw ticks and the joint grow together, -1 when they are opposed. */
    direction: z.union([z.literal(1), z.literal(-1)]),
    /** Raw positions the motor may travel between, as read from Present Position. */
    rangeMin: z.number().int(),
    rangeMax: z.number().int(),
  })
  .refine((c) => c.rangeMin < c.rangeMax, { message: 'rangeMin must be less than rangeMax', path: ['rangeMax'] });

const motorSchema = z.strictObject({
  id: z.number().int().min(0).max(252),
  model: z.enum(SERVO_MODELS),
  joint: z.string().min(1),
  calibration: calibrationSchema,
});

const armSchema = z
  .strictObject({
    port: z.string().min(1),
    baudRate: z.union(DYNAMIXEL_BAUD_RATES.map((rate) => z.literal(rate)) as [z.ZodLiteral<number>, ...z.ZodLiteral<number>[]], {
      error: `expected one of ${DYNAMIXEL_BAUD_RATES.join(', ')} (bit/s)`,
    }),
    protocol: z.literal('dynamixel2'),
    /** USB-serial adapter latency added to every timeout (FTDI default 16 ms; 1 ms once its latency timer is set). */
    latencyMs: z.number().min(0).max(100).default(1),
    /** Return Delay Time written to every motor, in microseconds (0 on rigs, 500 from the factory). */
    returnDelayUs: z.number().int().min(0).max(508).default(0),
    motors: z.array(motorSchema).min(1),
  })
  .superRefine((arm, ctx) => {
    const ids = new Set<number>();
    arm.motors.forEach((motor, index) => {
      if (ids.has(motor.id)) ctx.addIssue({ code: 'custom', message: `duplicate motor id ${motor.id}`, path: ['motors', index, 'id'] });
      ids.add(motor.id);
    });
    const grippers = arm.motors.filter((motor) => motor.joint === GRIPPER_JOINT).length;
    if (grippers !== 1) {
      ctx.addIssue({ code: 'custom', message: `expected exactly one motor with joint "gripper", found ${grippers}`, path: ['motors'] });
    }
  });

const limitSchema = z
  .object({ min: z.number(), max: z.number() })
  .refine((limit) => limit.min < limit.max, { message: 'min must be less than max', path: ['max'] });

const cameraSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected a lowercase name such as cam_high'),
  device: z.string().min(1),
  width: z.number().int().positive().default(640),
  height: z.number().int().positive().default(480),
  fps: z.number().positive().default(30),
});

export const rigConfigSchema = z
  .strictObject({
    version: z.literal(1),
    name: z.string().min(1),
    /** Control and recording rate in Hz. */
    fps: z.number().min(1).max(1000).default(50),
    arms: z.strictObject({
      left_leader: armSchema,
      left_follower: armSchema,
      right_leader: armSchema,
      right_follower: armSchema,
    }),
    /** Follower joint limits by joint name: radians for arm joints, 0 (closed)..1 (open) for the gripper. */
    jointLimits: z.record(z.string(), limitSchema),
    /** Linear map from the leader gripper's normalised opening to the follower's. */
    gripperMapping: z.object({
      leaderClosed: z.number().default(0),
      leaderOpen: z.number().default(1),
      followerClosed: z.number().default(0),
      followerOpen: z.number().default(1),
    }),
    /** Largest change of a follower target in one tick: radians for joints, normalised units for grippers. */
    maxStepPerTick: z.object({ joint: z.number().positive(), gripper: z.number().positive() }),
    /** Behaviour of the followers when teleop stops or fails: keep torque on at their position, or go limp. */
    onStop: z.enum(['hold', 'limp']).default('hold'),
    cameras: z.array(cameraSchema).default([]),
  })
  .superRefine((rig, ctx) => {
    for (const side of ['left', 'right'] as const) {
      const leader = rig.arms[`${side}_leader`].motors.map((motor) => motor.joint);
      const follower = rig.arms[`${side}_follower`].motors.map((motor) => motor.joint);
      if (leader.join(',') !== follower.join(',')) {
        ctx.addIssue({
          code: 'custom',
          message: `leader joints [${leader.join(', ')}] must match follower joints [${follower.join(', ')}] in the same order`,
          path: ['arms', `${side}_leader`, 'motors'],
        });
      }
      for (const joint of follower) {
        if (!(joint in rig.jointLimits)) {
          ctx.addIssue({ code: 'custom', message: `missing limits for joint "${joint}"`, path: ['jointLimits', joint] });
        }
      }
    }
  });

export type RigConfig = z.infer<typeof rigConfigSchema>;
export type ArmConfig = RigConfig['arms'][ArmName];
export type MotorConfig = ArmConfig['motors'][number];
export type Calibration = MotorConfig['calibration'];
export type CameraConfig = RigConfig['cameras'][number];

function formatIssuePath(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '') || '(root)';
}

/** Validates a parsed rig file; the error names the first bad field and the expected value. */
export function parseRigConfig(json: unknown, source: string): RigConfig {
  const result = rigConfigSchema.safeParse(json);
  if (result.success) return result.data;
  const lines = result.error.issues.slice(0, 3).map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`);
  throw new UserError(`rig file ${source} is invalid: ${lines.join('; ')}: fix the field and run again`);
}

export function loadRigConfig(path: string): RigConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read rig file ${path} (${errorMessage(error)}): pass an existing file with --rig, or use --sim`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UserError(`rig file ${path} is not valid JSON (${errorMessage(error)}): fix the syntax and run again`);
  }
  return parseRigConfig(json, path);
}

export function sideOf(arm: ArmName): Side {
  return arm.startsWith('left') ? 'left' : 'right';
}
