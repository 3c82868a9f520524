import { MODEL_NUMBERS, OperatingMode, X_SERIES, type ControlTableField } from '../dynamixel/control-table.js';
import type { ServoModel } from '../rig/rig-config.js';

/**
 * The emulated part of the X-series control table: every field from Model Number (0) to
 * Backup Ready (147), with its access rule and the values a write may carry. Values come
 * from the ROBOTIS e-manual pages of XM430-W350, XL430-W250, XM540-W270 and XL330-M288
 * (firmware 45 and later). The indirect address area (168 and above) is not emulated.
 */
export type Access = 'R' | 'RW';

/** Check on a written value: a fixed range or set (Data Range Error), or a limit held in another field (Data Limit Error). */
export type ValueRule =
  | { kind: 'range'; min: number; max: number }
  | { kind: 'set'; values: readonly number[] }
  | { kind: 'limit'; against: 'pwmLimit' | 'currentLimit' | 'velocityLimit' | 'positionLimits' };

export interface EmulatedField extends ControlTableField {
  name: string;
  access: Access;
  rule?: ValueRule;
}

function range(min: number, max: number): ValueRule {
  return { kind: 'range', min, max };
}

function rw(name: string, spec: ControlTableField, rule?: ValueRule): EmulatedField {
  return { name, ...spec, access: 'RW', rule };
}

function ro(name: string, spec: ControlTableField): EmulatedField {
  return { name, ...spec, access: 'R' };
}

const unsignedField = (address: number, size: 1 | 2 | 4): ControlTableField => ({ address, size, signed: false });
const signedField = (address: number, size: 1 | 2 | 4): ControlTableField => ({ address, size, signed: true });

/** Fields shared by the four models; model-specific limits come from `ModelSpec.ranges`. */
export const EMULATED_FIELDS: readonly EmulatedField[] = [
  ro('modelNumber', X_SERIES.modelNumber),
  ro('modelInformation', unsignedField(2, 4)),
  ro('firmwareVersion', X_SERIES.firmwareVersion),
  rw('id', X_SERIES.id, range(0, 252)),
  rw('baudRate', X_SERIES.baudRate, range(0, 7)),
  rw('returnDelayTime', X_SERIES.returnDelayTime, range(0, 254)),
  rw('driveMode', X_SERIES.driveMode, range(0, 13)),
  rw('operatingMode', X_SERIES.operatingMode, { kind: 'set', values: Object.values(OperatingMode) }),
  rw('secondaryId', X_SERIES.secondaryId, range(0, 255)),
  rw('protocolType', unsignedField(13, 1), range(1, 2)),
  rw('homingOffset', X_SERIES.homingOffset, range(-1_044_479, 1_044_479)),
  rw('movingThreshold', unsignedField(24, 4), range(0, 1023)),
  rw('temperatureLimit', unsignedField(31, 1), range(0, 100)),
  rw('maxVoltageLimit', unsignedField(32, 2)),
  rw('minVoltageLimit', unsignedField(34, 2)),
  rw('pwmLimit', unsignedField(36, 2), range(0, 885)),
  rw('currentLimit', unsignedField(38, 2)),
  rw('velocityLimit', X_SERIES.velocityLimit),
  rw('maxPositionLimit', X_SERIES.maxPositionLimit, range(0, 4095)),
  rw('minPositionLimit', X_SERIES.minPositionLimit, range(0, 4095)),
  rw('startupConfiguration', unsignedField(60, 1), range(0, 3)),
  rw('shutdown', unsignedField(63, 1), range(0, 255)),
  rw('torqueEnable', X_SERIES.torqueEnable, range(0, 1)),
  rw('led', X_SERIES.led, range(0, 1)),
  rw('statusReturnLevel', X_SERIES.statusReturnLevel, range(0, 2)),
  ro('registeredInstruction', unsignedField(69, 1)),
  ro('hardwareErrorStatus', X_SERIES.hardwareErrorStatus),
  rw('velocityIGain', unsignedField(76, 2), range(0, 16383)),
  rw('velocityPGain', unsignedField(78, 2), range(0, 16383)),
  rw('positionDGain', X_SERIES.positionDGain, range(0, 16383)),
  rw('positionIGain', X_SERIES.positionIGain, range(0, 16383)),
  rw('positionPGain', X_SERIES.positionPGain, range(0, 16383)),
  rw('feedforward2ndGain', unsignedField(88, 2), range(0, 16383)),
  rw('feedforward1stGain', unsignedField(90, 2), range(0, 16383)),
  rw('busWatchdog', unsignedField(98, 1), range(0, 127)),
  rw('goalPwm', X_SERIES.goalPwm, { kind: 'limit', against: 'pwmLimit' }),
  rw('goalCurrent', X_SERIES.goalCurrent, { kind: 'limit', against: 'currentLimit' }),
  rw('goalVelocity', X_SERIES.goalVelocity, { kind: 'limit', against: 'velocityLimit' }),
  rw('profileAcceleration', X_SERIES.profileAcceleration, range(0, 32767)),
  rw('profileVelocity', X_SERIES.profileVelocity, range(0, 32767)),
  rw('goalPosition', X_SERIES.goalPosition, { kind: 'limit', against: 'positionLimits' }),
  ro('realtimeTick', unsignedField(120, 2)),
  ro('moving', X_SERIES.moving),
  ro('movingStatus', unsignedField(123, 1)),
  ro('presentPwm', X_SERIES.presentPwm),
  ro('presentCurrent', X_SERIES.presentCurrent),
  ro('presentVelocity', X_SERIES.presentVelocity),
  ro('presentPosition', X_SERIES.presentPosition),
  ro('velocityTrajectory', signedField(136, 4)),
  ro('positionTrajectory', signedField(140, 4)),
  ro('presentInputVoltage', X_SERIES.presentInputVoltage),
  ro('presentTemperature', X_SERIES.presentTemperature),
  ro('backupReady', unsignedField(147, 1)),
];

/** Bytes of the emulated table: addresses 0..147. */
export const EMULATED_TABLE_SIZE = 148;

/** First RAM address; fields below it are EEPROM and writable only with torque off. */
export const EEPROM_END = 64;

export interface ModelSpec {
  modelNumber: number;
  firmwareVersion: number;
  /** Factory values; fields not listed start at 0. */
  defaults: Record<string, number>;
  /** Ranges that differ from `EMULATED_FIELDS` on this model. */
  ranges: Record<string, ValueRule>;
  /** Fields the model does not have: reading returns 0, writing is an access error. */
  missing: readonly string[];
  /** Present Current unit in mA, or null where address 126 is Present Load (0.1 % of stall torque). */
  currentUnitMa: number | null;
  stallCurrentMa: number;
  /** Present Input Voltage at the nominal supply, 0.1 V units. */
  inputVoltage: number;
}

const COMMON_DEFAULTS: Record<string, number> = {
  id: 1,
  baudRate: 1,
  returnDelayTime: 250,
  operatingMode: OperatingMode.Position,
  secondaryId: 255,
  protocolType: 2,
  movingThreshold: 10,
  pwmLimit: 885,
  maxPositionLimit: 4095,
  shutdown: 52,
  statusReturnLevel: 2,
  velocityPGain: 100,
  presentTemperature: 35,
};

export const MODEL_SPECS: Record<ServoModel, ModelSpec> = {
  'xm430-w350': {
    modelNumber: MODEL_NUMBERS['xm430-w350'],
    firmwareVersion: 46,
    defaults: { ...COMMON_DEFAULTS, temperatureLimit: 80, maxVoltageLimit: 160, minVoltageLimit: 95, currentLimit: 1193, velocityLimit: 200, velocityIGain: 1920, positionPGain: 800 },
    ranges: { currentLimit: range(0, 1193), velocityLimit: range(0, 1023), maxVoltageLimit: range(95, 160), minVoltageLimit: range(95, 160) },
    missing: [],
    currentUnitMa: 2.69,
    stallCurrentMa: 2300,
    inputVoltage: 120,
  },
  'xm540-w270': {
    modelNumber: MODEL_NUMBERS['xm540-w270'],
    firmwareVersion: 46,
    defaults: { ...COMMON_DEFAULTS, temperatureLimit: 80, maxVoltageLimit: 160, minVoltageLimit: 95, currentLimit: 2047, velocityLimit: 128, velocityIGain: 1920, positionPGain: 800 },
    ranges: { currentLimit: range(0, 2047), velocityLimit: range(0, 1023), maxVoltageLimit: range(95, 160), minVoltageLimit: range(95, 160) },
    missing: [],
    currentUnitMa: 2.69,
    stallCurrentMa: 4400,
    inputVoltage: 120,
  },
  'xl430-w250': {
    modelNumber: MODEL_NUMBERS['xl430-w250'],
    firmwareVersion: 46,
    defaults: { ...COMMON_DEFAULTS, temperatureLimit: 72, maxVoltageLimit: 140, minVoltageLimit: 60, velocityLimit: 265, velocityIGain: 1000, positionDGain: 4000, positionPGain: 640 },
    ranges: { velocityLimit: range(0, 1023), maxVoltageLimit: range(60, 140), minVoltageLimit: range(60, 140), operatingMode: { kind: 'set', values: [1, 3, 4, 16] } },
    missing: ['currentLimit', 'goalCurrent'],
    currentUnitMa: null,
    stallCurrentMa: 1400,
    inputVoltage: 120,
  },
  'xl330-m288': {
    modelNumber: MODEL_NUMBERS['xl330-m288'],
    firmwareVersion: 46,
    defaults: { ...COMMON_DEFAULTS, temperatureLimit: 70, maxVoltageLimit: 70, minVoltageLimit: 35, currentLimit: 1750, velocityLimit: 445, velocityIGain: 1600, velocityPGain: 180, positionPGain: 400 },
    ranges: { currentLimit: range(0, 1750), velocityLimit: range(0, 2047), maxVoltageLimit: range(31, 70), minVoltageLimit: range(31, 70), baudRate: range(0, 6) },
    missing: [],
    currentUnitMa: 1,
    stallCurrentMa: 1470,
    inputVoltage: 50,
  },
};

const FIELDS_BY_NAME = new Map(EMULATED_FIELDS.map((field) => [field.name, field]));

export function fieldNamed(name: string): EmulatedField {
  const field = FIELDS_BY_NAME.get(name);
  if (!field) throw new Error(`no emulated control table field named ${name}`);
  return field;
}

/** Returns the field a byte belongs to on `spec`'s model, or undefined for a gap or a missing field. */
export function fieldAt(address: number, spec: ModelSpec): EmulatedField | undefined {
  const field = EMULATED_FIELDS.find((candidate) => address >= candidate.address && address < candidate.address + candidate.size);
  return field && !spec.missing.includes(field.name) ? field : undefined;
}
