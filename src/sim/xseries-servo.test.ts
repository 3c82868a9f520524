import { describe, expect, it } from 'vitest';
import { X_SERIES, encodeValue, readValue } from '../dynamixel/control-table.js';
import { StatusErrorCode } from '../dynamixel/status-error.js';
import { XSeriesServo, type XSeriesServoOptions } from './xseries-servo.js';

function fakeClock(): { now: () => bigint; advanceMs: (ms: number) => void } {
  let ns = 1_000_000_000n;
  return { now: () => ns, advanceMs: (ms) => (ns += BigInt(Math.round(ms * 1e6))) };
}

function servoWithClock(options: Partial<XSeriesServoOptions> = {}) {
  const clock = fakeClock();
  const servo = new XSeriesServo({ model: 'xm430-w350', now: clock.now, ...options });
  return { servo, clock };
}

function readField(servo: XSeriesServo, name: keyof typeof X_SERIES): number {
  const field = X_SERIES[name];
  const reply = servo.read(field.address, field.size);
  expect(reply.error).toBe(0);
  return readValue(reply.data, field.size, field.signed);
}

function writeField(servo: XSeriesServo, name: keyof typeof X_SERIES, value: number): number {
  const field = X_SERIES[name];
  return servo.write(field.address, encodeValue(value, field.size)).error;
}

describe('XSeriesServo control table', () => {
  it.each([
    ['xm430-w350', [0xfc, 0x03]],
    ['xl430-w250', [0x24, 0x04]],
    ['xm540-w270', [0x60, 0x04]],
    ['xl330-m288', [0xb0, 0x04]],
  ] as const)('model number bytes of %s', (model, bytes) => {
    const { servo } = servoWithClock({ model });
    const reply = servo.read(0, 2);
    expect(reply.error).toBe(0);
    expect([...reply.data]).toEqual(bytes);
  });

  it('factory values of EEPROM', () => {
    const { servo } = servoWithClock();
    const reply = servo.read(0, 64);
    expect(reply.data[6]).toBe(46);
    expect(reply.data[7]).toBe(1);
    expect(reply.data[8]).toBe(1);
    expect(reply.data[9]).toBe(250);
    expect(reply.data[11]).toBe(3);
    expect(reply.data.readUInt16LE(38)).toBe(1193);
    expect(reply.data.readUInt32LE(48)).toBe(4095);
    expect(reply.data.readUInt32LE(52)).toBe(0);
  });

  it('rig settings override factory values', () => {
    const { servo } = servoWithClock({ id: 5, baudRate: 1_000_000, returnDelayUs: 0 });
    expect([...servo.read(7, 3).data]).toEqual([5, 3, 0]);
    expect(servo.baudRate).toBe(1_000_000);
    expect(servo.returnDelayUs).toBe(0);
  });

  it('EEPROM write with torque on is an access error', () => {
    const { servo } = servoWithClock();
    expect(writeField(servo, 'torqueEnable', 1)).toBe(0);
    expect(writeField(servo, 'operatingMode', 4)).toBe(StatusErrorCode.AccessError);
    expect(readField(servo, 'operatingMode')).toBe(3);

    expect(writeField(servo, 'torqueEnable', 0)).toBe(0);
    expect(writeField(servo, 'operatingMode', 4)).toBe(0);
    expect(readField(servo, 'operatingMode')).toBe(4);
  });

  it('read-only and undefined addresses reject writes', () => {
    const { servo } = servoWithClock();
    expect(servo.write(0, Uint8Array.of(1, 2)).error).toBe(StatusErrorCode.AccessError);
    expect(servo.write(132, encodeValue(100, 4)).error).toBe(StatusErrorCode.AccessError);
    expect(servo.write(14, Uint8Array.of(1)).error).toBe(StatusErrorCode.AccessError);
  });

  it('partial field write is a data length error', () => {
    const { servo } = servoWithClock();
    expect(servo.write(116, Uint8Array.of(0, 8)).error).toBe(StatusErrorCode.DataLengthError);
    expect(servo.write(118, Uint8Array.of(0, 0)).error).toBe(StatusErrorCode.DataLengthError);
  });

  it('out-of-range reads and values', () => {
    const { servo } = servoWithClock();
    expect(servo.read(140, 10).error).toBe(StatusErrorCode.DataRangeError);
    expect(servo.read(132, 0).error).toBe(StatusErrorCode.DataLengthError);
    expect(writeField(servo, 'id', 253)).toBe(StatusErrorCode.DataRangeError);
    expect(writeField(servo, 'operatingMode', 2)).toBe(StatusErrorCode.DataRangeError);
    expect(writeField(servo, 'goalPosition', 5000)).toBe(StatusErrorCode.DataLimitError);
    expect(writeField(servo, 'goalCurrent', 1194)).toBe(StatusErrorCode.DataLimitError);
  });

  it('write spanning several fields applies all of them', () => {
    const { servo } = servoWithClock();
    const data = Buffer.concat([encodeValue(40, 4), encodeValue(3000, 4)]);
    expect(servo.write(112, data).error).toBe(0);
    expect(readField(servo, 'profileVelocity')).toBe(40);
    expect(readField(servo, 'goalPosition')).toBe(3000);
  });

  it('xl430 has no goal current', () => {
    const { servo } = servoWithClock({ model: 'xl430-w250' });
    expect(writeField(servo, 'goalCurrent', 10)).toBe(StatusErrorCode.AccessError);
    expect([...servo.read(102, 2).data]).toEqual([0, 0]);
  });

  it('reg write waits for action', () => {
    const { servo } = servoWithClock();
    expect(servo.regWrite(65, Uint8Array.of(1)).error).toBe(0);
    expect(servo.read(65, 1).data[0]).toBe(0);
    expect(servo.read(69, 1).data[0]).toBe(1);
    expect(servo.action().error).toBe(0);
    expect(servo.read(65, 1).data[0]).toBe(1);
    expect(servo.action().error).toBe(StatusErrorCode.InstructionError);
  });
});

describe('XSeriesServo motion', () => {
  it('goal position is reached at bounded speed', () => {
    const { servo, clock } = servoWithClock({ initialPosition: 1000 });
    expect(readField(servo, 'goalPosition')).toBe(1000);
    expect(writeField(servo, 'torqueEnable', 1)).toBe(0);
    expect(writeField(servo, 'goalPosition', 4000)).toBe(0);

    clock.advanceMs(250);
    // Profile Velocity 0: 1.5 turn/s = 6144 ticks/s, so 1536 ticks in 250 ms.
    expect(readField(servo, 'presentPosition')).toBe(2536);
    expect(readField(servo, 'presentVelocity')).toBe(Math.round((6144 * 60) / (4096 * 0.229)));
    expect(readField(servo, 'moving')).toBe(1);
    expect(readField(servo, 'presentCurrent')).toBeGreaterThan(0);

    clock.advanceMs(1000);
    expect(readField(servo, 'presentPosition')).toBe(4000);
    clock.advanceMs(10);
    expect(readField(servo, 'presentVelocity')).toBe(0);
    expect(readField(servo, 'moving')).toBe(0);
  });

  it('profile velocity sets the speed', () => {
    const { servo, clock } = servoWithClock({ initialPosition: 2048 });
    writeField(servo, 'torqueEnable', 1);
    writeField(servo, 'profileVelocity', 100);
    writeField(servo, 'goalPosition', 1000);
    clock.advanceMs(100);
    const ticksPerSecond = (100 * 0.229 * 4096) / 60;
    expect(readField(servo, 'presentPosition')).toBe(Math.round(2048 - ticksPerSecond * 0.1));
    expect(readField(servo, 'presentVelocity')).toBe(-100);
  });

  it('placeAt moves the horn at once and keeps it there under torque', () => {
    const { servo, clock } = servoWithClock({ initialPosition: 1000 });
    writeField(servo, 'torqueEnable', 1);
    writeField(servo, 'goalPosition', 3000);
    clock.advanceMs(50);
    servo.placeAt(2500);
    expect(readField(servo, 'presentPosition')).toBe(2500);
    expect(readField(servo, 'goalPosition')).toBe(2500);
    clock.advanceMs(500);
    expect(readField(servo, 'presentPosition')).toBe(2500);
    expect(readField(servo, 'presentVelocity')).toBe(0);
  });

  it('torque off holds still without an operator', () => {
    const { servo, clock } = servoWithClock({ initialPosition: 1500 });
    writeField(servo, 'goalPosition', 3000);
    clock.advanceMs(500);
    expect(readField(servo, 'presentPosition')).toBe(1500);
    expect(readField(servo, 'presentCurrent')).toBe(0);
  });

  it('leader follows the held position', () => {
    const clock = fakeClock();
    const start = clock.now();
    const servo = new XSeriesServo({
      model: 'xl430-w250',
      now: clock.now,
      heldPosition: (nowNs) => 2048 + Number(nowNs - start) / 1e6,
    });
    clock.advanceMs(300);
    expect(readField(servo, 'presentPosition')).toBe(2348);
  });

  it('homing offset and reverse drive mode shift present position', () => {
    const { servo } = servoWithClock({ initialPosition: 2000 });
    expect(writeField(servo, 'homingOffset', 100)).toBe(0);
    expect(readField(servo, 'presentPosition')).toBe(2100);
    expect(writeField(servo, 'driveMode', 1)).toBe(0);
    expect(readField(servo, 'presentPosition')).toBe(-1900);
  });
});

describe('XSeriesServo faults', () => {
  it('hardware error sets alert and torque off until reboot', () => {
    const { servo } = servoWithClock();
    writeField(servo, 'torqueEnable', 1);
    servo.injectHardwareError(0b10_0000);

    const reply = servo.read(70, 1);
    expect(reply.error).toBe(0x80);
    expect(reply.data[0]).toBe(0x20);
    expect(servo.read(64, 1).data[0]).toBe(0);
    expect(writeField(servo, 'torqueEnable', 1)).toBe(0x80 | StatusErrorCode.ResultFail);

    servo.reboot();
    expect(servo.read(70, 1)).toEqual({ error: 0, data: Buffer.of(0) });
    expect(writeField(servo, 'torqueEnable', 1)).toBe(0);
  });

  it('factory reset keeps the ID when asked', () => {
    const { servo } = servoWithClock({ id: 9, baudRate: 1_000_000, returnDelayUs: 0 });
    expect(servo.factoryReset(0x01).error).toBe(0);
    expect([...servo.read(7, 3).data]).toEqual([9, 1, 250]);
    expect(servo.factoryReset(0xff).error).toBe(0);
    expect(servo.id).toBe(1);
  });
});
