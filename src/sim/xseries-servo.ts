import { BAUD_RATE_VALUES, encodeValue, readValue } from '../dynamixel/control-table.js';
import { HARDWARE_ALERT_BIT, StatusErrorCode } from '../dynamixel/status-error.js';
import { monotonicNs } from '../common/clock.js';
import type { ServoModel } from '../rig/rig-config.js';
import {
  DEFAULT_MAX_TICKS_PER_SECOND,
  type MotionState,
  plausibleCurrentMa,
  stepMotion,
  ticksPerSecondToVelocityUnits,
  velocityUnitsToTicksPerSecond,
} from './servo-motion.js';
import {
  EEPROM_END,
  EMULATED_FIELDS,
  EMULATED_TABLE_SIZE,
  type EmulatedField,
  MODEL_SPECS,
  type ModelSpec,
  fieldAt,
  fieldNamed,
} from './xseries-models.js';

export interface XSeriesServoOptions {
  model: ServoModel;
  /** Settings a configured rig has instead of the factory ones. */
  id?: number;
  baudRate?: number;
  returnDelayUs?: number;
  /** Present Position at power-on, ticks. */
  initialPosition?: number;
  /**
   * Present Position imposed from outside while torque is off, as a function of the
   * monotonic time: the operator's hand on a leader arm.
   */
  heldPosition?: (nowNs: bigint) => number;
  now?: () => bigint;
}

/** Outcome of an instruction: the status packet's error byte and its data. */
export interface ServoReply {
  error: number;
  data: Buffer;
}

const { AccessError, DataLengthError, DataLimitError, DataRangeError, ResultFail } = StatusErrorCode;

const MAX_PLAIN_GOAL = 1_048_575;

/**
 * One emulated Dynamixel X-series servo: a byte-exact control table with the e-manual's
 * access rules, and a motion model that advances from the monotonic clock whenever the
 * table is read or written.
 */
export class XSeriesServo {
  readonly model: ServoModel;
  readonly #spec: ModelSpec;
  readonly #table = new Uint8Array(EMULATED_TABLE_SIZE);
  readonly #heldPosition: ((nowNs: bigint) => number) | undefined;
  readonly #now: () => bigint;
  #motion: MotionState;
  #lastAdvanceNs: bigint;
  #bootNs: bigint;
  #registered: { address: number; data: Buffer } | null = null;
  #responding = true;

  constructor(options: XSeriesServoOptions) {
    this.model = options.model;
    this.#spec = MODEL_SPECS[options.model];
    this.#heldPosition = options.heldPosition;
    this.#now = options.now ?? monotonicNs;
    this.#bootNs = this.#now();
    this.#lastAdvanceNs = this.#bootNs;

    this.#loadFactoryValues('all');
    if (options.id !== undefined) this.#set('id', options.id);
    if (options.baudRate !== undefined) this.#set('baudRate', baudRateValue(options.baudRate));
    if (options.returnDelayUs !== undefined) this.#set('returnDelayTime', Math.round(options.returnDelayUs / 2));

    const initial = options.heldPosition?.(this.#bootNs) ?? options.initialPosition ?? 2048;
    this.#motion = { position: this.#toMotorFrame(initial), velocity: 0, error: 0 };
    this.#powerOnRam();
  }

  get id(): number {
    return this.#get('id');
  }

  /** Bus bit rate the servo listens at, from its Baud Rate register. */
  get baudRate(): number {
    return BAUD_RATE_VALUES[this.#get('baudRate')] ?? 0;
  }

  get returnDelayUs(): number {
    return this.#get('returnDelayTime') * 2;
  }

  get statusReturnLevel(): number {
    return this.#get('statusReturnLevel');
  }

  get modelNumber(): number {
    return this.#spec.modelNumber;
  }

  get firmwareVersion(): number {
    return this.#spec.firmwareVersion;
  }

  /** False while a fault injected by `setResponding(false)` keeps the motor silent. */
  get responding(): boolean {
    return this.#responding;
  }

  /** Makes the motor stop answering (a cut cable, a dead motor) or answer again. */
  setResponding(responding: boolean): void {
    this.#responding = responding;
  }

  /**
   * Sets bits of Hardware Error Status (address 70), as the firmware does on overload or
   * overheating. Bits that Shutdown (address 63) selects also turn the torque off. Every
   * later status packet carries the hardware alert bit until a reboot.
   */
  injectHardwareError(bits: number): void {
    this.advance();
    this.#set('hardwareErrorStatus', this.#get('hardwareErrorStatus') | bits);
    if ((bits & this.#get('shutdown')) !== 0) this.#set('torqueEnable', 0);
  }

  /** The status error byte for `code`, with the hardware alert bit when a hardware error is set. */
  statusError(code = 0): number {
    return code | (this.#get('hardwareErrorStatus') !== 0 ? HARDWARE_ALERT_BIT : 0);
  }

  /** Field value by control table name, after advancing the motion to now. */
  valueOf(name: string): number {
    this.advance();
    return this.#get(name);
  }

  read(address: number, length: number): ServoReply {
    if (length === 0) return this.#fail(DataLengthError);
    if (address + length > EMULATED_TABLE_SIZE) return this.#fail(DataRangeError);

    this.advance();
    return { error: this.statusError(), data: Buffer.from(this.#table.subarray(address, address + length)) };
  }

  write(address: number, data: Uint8Array): ServoReply {
    const error = this.#checkWrite(address, data);
    if (error !== 0) return this.#fail(error);

    this.advance();
    this.#table.set(data, address);
    // Homing Offset and Drive Mode change how the present values read, so refresh them now.
    this.#writePresentValues(this.#now(), this.#get('torqueEnable') === 1);
    return { error: this.statusError(), data: Buffer.alloc(0) };
  }

  /** Reg Write: checks the write now and holds it until Action. */
  regWrite(address: number, data: Uint8Array): ServoReply {
    const error = this.#checkWrite(address, data);
    if (error !== 0) return this.#fail(error);

    this.#registered = { address, data: Buffer.from(data) };
    this.#set('registeredInstruction', 1);
    return { error: this.statusError(), data: Buffer.alloc(0) };
  }

  /** Action: applies the write held by Reg Write; without one it is an instruction error. */
  action(): ServoReply {
    const registered = this.#registered;
    if (!registered) return this.#fail(StatusErrorCode.InstructionError);

    this.#registered = null;
    this.#set('registeredInstruction', 0);
    return this.write(registered.address, registered.data);
  }

  /** Reboot: RAM back to power-on values, hardware error cleared, torque off; the position is kept. */
  reboot(): void {
    this.advance();
    this.#bootNs = this.#now();
    this.#registered = null;
    this.#powerOnRam();
  }

  /** Factory Reset: 0xFF resets everything, 0x01 keeps the ID, 0x02 keeps ID and baud rate. */
  factoryReset(mode: number): ServoReply {
    if (mode !== 0xff && mode !== 0x01 && mode !== 0x02) return this.#fail(DataRangeError);
    if (this.#get('torqueEnable') === 1) return this.#fail(AccessError);

    // Factory Reset parameter: 0xFF resets everything, 0x01 keeps the ID, 0x02 keeps ID and baud rate.
    let keep: 'all' | 'keep-id' | 'keep-id-and-baud' = 'keep-id-and-baud';
    if (mode === 0xff) keep = 'all';
    else if (mode === 0x01) keep = 'keep-id';
    this.#loadFactoryValues(keep);
    this.reboot();
    return { error: this.statusError(), data: Buffer.alloc(0) };
  }

  /**
   * Puts the horn at `position` (a register value) at once, as a simulator reset does, with Goal
   * Position there too so a torqued motor stays put.
   */
  placeAt(position: number): void {
    this.advance();
    this.#motion = { position: this.#toMotorFrame(position), velocity: 0, error: 0 };
    this.#set('goalPosition', Math.round(position));
    this.#writePresentValues(this.#now(), this.#get('torqueEnable') === 1);
  }

  /** Integrates the motion up to now and refreshes the present-value registers. */
  advance(): void {
    const nowNs = this.#now();
    const dtSeconds = Number(nowNs - this.#lastAdvanceNs) / 1e9;
    if (dtSeconds <= 0) return;
    this.#lastAdvanceNs = nowNs;

    const torqueOn = this.#get('torqueEnable') === 1;
    const held = !torqueOn && this.#heldPosition ? this.#toMotorFrame(this.#heldPosition(nowNs)) : null;
    this.#motion = stepMotion(
      this.#motion,
      {
        torqueOn,
        operatingMode: this.#get('operatingMode'),
        goal: this.#toMotorFrame(this.#get('goalPosition')),
        goalVelocity: this.#direction() * velocityUnitsToTicksPerSecond(this.#get('goalVelocity')),
        maxSpeed: this.#maxSpeed(),
        heldAt: held,
      },
      dtSeconds,
    );
    this.#writePresentValues(nowNs, torqueOn);
  }

  #writePresentValues(nowNs: bigint, torqueOn: boolean): void {
    const motion = this.#motion;
    const velocity = this.#direction() * motion.velocity;
    const limitMa = this.#spec.currentUnitMa === null ? this.#spec.stallCurrentMa : this.#get('currentLimit') * this.#spec.currentUnitMa;
    const currentMa = this.#direction() * plausibleCurrentMa(motion, torqueOn, limitMa);
    const currentRegister =
      this.#spec.currentUnitMa === null ? (currentMa / this.#spec.stallCurrentMa) * 1000 : currentMa / this.#spec.currentUnitMa;
    const velocityUnits = Math.round(ticksPerSecondToVelocityUnits(velocity));

    this.#set('presentPosition', Math.round(this.#fromMotorFrame(motion.position)));
    this.#set('presentVelocity', velocityUnits);
    this.#set('presentCurrent', Math.round(currentRegister));
    this.#set('velocityTrajectory', torqueOn ? velocityUnits : 0);
    this.#set('positionTrajectory', Math.round(this.#fromMotorFrame(motion.position)));
    this.#set('moving', Math.abs(velocityUnits) > this.#get('movingThreshold') ? 1 : 0);
    this.#set('realtimeTick', Number((nowNs - this.#bootNs) / 1_000_000n) % 32768);
  }

  /** Top speed in position modes: Profile Velocity (capped by Velocity Limit), or the default when it is 0. */
  #maxSpeed(): number {
    const profile = this.#get('profileVelocity');
    if (profile === 0) return DEFAULT_MAX_TICKS_PER_SECOND;
    const limit = this.#get('velocityLimit');
    return velocityUnitsToTicksPerSecond(limit > 0 ? Math.min(profile, limit) : profile);
  }

  /** Returns the status error code for a write, or 0 when it may be applied. */
  #checkWrite(address: number, data: Uint8Array): number {
    if (data.length === 0) return DataLengthError;
    if (address + data.length > EMULATED_TABLE_SIZE) return DataRangeError;

    const end = address + data.length;
    const torqueOn = this.#get('torqueEnable') === 1;
    for (let offset = address; offset < end; ) {
      const field = fieldAt(offset, this.#spec);
      if (!field || field.access !== 'RW') return AccessError;
      if (field.address < address || field.address + field.size > end) return DataLengthError;
      if (field.address < EEPROM_END && torqueOn) return AccessError;

      const value = readValue(data, field.size, field.signed, field.address - address);
      const error = this.#checkValue(field, value);
      if (error !== 0) return error;
      offset = field.address + field.size;
    }
    return 0;
  }

  #checkValue(field: EmulatedField, value: number): number {
    if (field.name === 'torqueEnable' && value === 1 && this.#get('hardwareErrorStatus') !== 0) return ResultFail;

    const rule = this.#spec.ranges[field.name] ?? field.rule;
    if (!rule) return 0;
    if (rule.kind === 'range') return value < rule.min || value > rule.max ? DataRangeError : 0;
    if (rule.kind === 'set') return rule.values.includes(value) ? 0 : DataRangeError;

    const [min, max] = this.#limitsFor(rule.against);
    return value < min || value > max ? DataLimitError : 0;
  }

  #limitsFor(against: 'pwmLimit' | 'currentLimit' | 'velocityLimit' | 'positionLimits'): [number, number] {
    if (against === 'positionLimits') {
      if (this.#get('operatingMode') === 3) return [this.#get('minPositionLimit'), this.#get('maxPositionLimit')];
      return [-MAX_PLAIN_GOAL, MAX_PLAIN_GOAL];
    }
    const limit = this.#get(against);
    return [-limit, limit];
  }

  #fail(code: number): ServoReply {
    return { error: this.statusError(code), data: Buffer.alloc(0) };
  }

  /** EEPROM from the model's factory values; `keep` names what a partial Factory Reset preserves. */
  #loadFactoryValues(keep: 'all' | 'keep-id' | 'keep-id-and-baud'): void {
    const id = this.#get('id');
    const baudRate = this.#get('baudRate');
    for (const field of EMULATED_FIELDS) {
      if (field.address >= EEPROM_END) continue;
      if (!this.#spec.missing.includes(field.name)) this.#set(field.name, this.#spec.defaults[field.name] ?? 0);
    }
    this.#set('modelNumber', this.#spec.modelNumber);
    this.#set('firmwareVersion', this.#spec.firmwareVersion);
    if (keep !== 'all') this.#set('id', id);
    if (keep === 'keep-id-and-baud') this.#set('baudRate', baudRate);
  }

  /** RAM at power-on: factory values, Goal PWM/Current at their limits, Goal Position at the present position. */
  #powerOnRam(): void {
    this.#table.fill(0, EEPROM_END);
    for (const field of EMULATED_FIELDS) {
      if (field.address < EEPROM_END || this.#spec.missing.includes(field.name)) continue;
      this.#set(field.name, this.#spec.defaults[field.name] ?? 0);
    }
    this.#set('goalPwm', this.#get('pwmLimit'));
    if (!this.#spec.missing.includes('goalCurrent')) this.#set('goalCurrent', this.#get('currentLimit'));
    this.#set('presentInputVoltage', this.#spec.inputVoltage);
    this.#set('goalPosition', Math.round(this.#fromMotorFrame(this.#motion.position)));
    this.#writePresentValues(this.#now(), false);
  }

  #direction(): 1 | -1 {
    return (this.#get('driveMode') & 1) === 1 ? -1 : 1;
  }

  #toMotorFrame(register: number): number {
    return this.#direction() * (register - this.#get('homingOffset'));
  }

  #fromMotorFrame(position: number): number {
    return this.#direction() * position + this.#get('homingOffset');
  }

  #get(name: string): number {
    const field = fieldNamed(name);
    return readValue(this.#table, field.size, field.signed, field.address);
  }

  #set(name: string, value: number): void {
    const field = fieldNamed(name);
    this.#table.set(encodeValue(clampToSize(value, field), field.size), field.address);
  }
}

function clampToSize(value: number, field: EmulatedField): number {
  const bits = field.size * 8;
  const min = field.signed ? -(2 ** (bits - 1)) : 0;
  const max = field.signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  return Math.max(min, Math.min(max, Math.trunc(value)));
}

function baudRateValue(bitsPerSecond: number): number {
  for (const [value, rate] of Object.entries(BAUD_RATE_VALUES)) if (rate === bitsPerSecond) return Number(value);
  throw new RangeError(`baud rate ${bitsPerSecond} is not an X-series rate: use one of ${Object.values(BAUD_RATE_VALUES).join(', ')}`);
}
