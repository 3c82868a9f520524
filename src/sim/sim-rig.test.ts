import { existsSync, readFileSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../common/clock.js';
import { pingPacket, readPacket, syncReadPacket } from '../dynamixel/instructions.js';
import { type DecodedPacket, encodeStatusPacket } from '../dynamixel/packet.js';
import { PacketParser } from '../dynamixel/parser.js';
import { jointToRaw } from '../rig/calibration.js';
import { parseRigConfig } from '../rig/rig-config.js';
import { createScriptedOperator } from './operator-script.js';
import { type SimRig, startSimRig } from './sim-rig.js';

function openPort(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: 1_000_000 }, (error) => (error ? reject(error) : resolve(port)));
  });
}

/** Sends `instruction` and collects `count` status packets, failing after `timeoutMs`. */
function transact(port: SerialPort, instruction: Buffer, count: number, timeoutMs = 2000): Promise<DecodedPacket[]> {
  const parser = new PacketParser();
  const packets: DecodedPacket[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      port.off('data', onData);
      reject(new Error(`got ${packets.length} of ${count} status packets`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      packets.push(...parser.push(chunk));
      if (packets.length < count) return;
      clearTimeout(timer);
      port.off('data', onData);
      resolve(packets);
    };
    port.on('data', onData);
    port.write(instruction);
  });
}

describe('simulated rig over socat ports', () => {
  let rig: SimRig;
  let follower: SerialPort;
  let leader: SerialPort;

  beforeAll(async () => {
    rig = await startSimRig({ seed: 7 });
    follower = await openPort(rig.ports.left_follower);
    leader = await openPort(rig.ports.right_leader);
  });

  afterAll(async () => {
    if (follower?.isOpen) await new Promise((resolve) => follower.close(resolve));
    if (leader?.isOpen) await new Promise((resolve) => leader.close(resolve));
    await rig?.stop();
  });

  it('writes a valid rig file', () => {
    const config = parseRigConfig(JSON.parse(readFileSync(rig.rigFile, 'utf8')), rig.rigFile);
    expect(config.arms.left_follower.port).toBe(rig.ports.left_follower);
    expect(config.arms.right_leader.motors.map((motor) => motor.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('answers ping with model and firmware', async () => {
    const [reply] = await transact(follower, pingPacket(2), 1);
    const expected = encodeStatusPacket(2, 0, Buffer.of(0x60, 0x04, 46));
    expect(encodeStatusPacket(reply!.id, reply!.params[0]!, reply!.params.subarray(1))).toEqual(expected);
  });

  it('follower starts at the operator first pose', async () => {
    const [reply] = await transact(follower, readPacket(1, 132, 4), 1);
    const waist = rig.config.arms.left_follower.motors[0]!;
    const expected = jointToRaw(createScriptedOperator(7).leaderJointsAt(0).left[0]!, waist);
    expect(reply!.id).toBe(1);
    expect(reply!.params[0]).toBe(0);
    expect(reply!.params.readInt32LE(1)).toBe(expected);
  });

  it('leader moves with the operator', async () => {
    const ids = [1, 2, 3, 4, 5, 6, 7];
    const first = await transact(leader, syncReadPacket(132, 4, ids), 7);
    await sleep(300);
    const second = await transact(leader, syncReadPacket(132, 4, ids), 7);

    expect(first.map((packet) => packet.id)).toEqual(ids);
    const before = first.map((packet) => packet.params.readInt32LE(1));
    const after = second.map((packet) => packet.params.readInt32LE(1));
    expect(after).not.toEqual(before);
  });

  it('silent motor fault stops its replies', async () => {
    await rig.injectFault('left_follower', 5, { kind: 'silent' });
    await expect(transact(follower, pingPacket(5), 1, 200)).rejects.toThrow('got 0 of 1');
    await rig.injectFault('left_follower', 5, { kind: 'replying' });
    expect((await transact(follower, pingPacket(5), 1))[0]!.id).toBe(5);
  });

  it('stop closes the app ports and removes the folder', async () => {
    const closed = new Promise((resolve) => follower.once('close', resolve));
    await rig.stop();
    await closed;
    expect(existsSync(rig.dir)).toBe(false);
  });
});

describe('simulated rig process death', () => {
  it('closes the app ports', async () => {
    const rig = await startSimRig({ seed: 3 });
    try {
      const port = await openPort(rig.ports.right_follower);
      // A port notices the hangup when it reads, as the app's bus always does.
      port.on('data', () => {});
      const closed = new Promise((resolve) => port.once('close', resolve));
      process.kill(rig.pid, 'SIGKILL');
      expect(await rig.exited).toBeNull();
      await closed;
      expect(port.isOpen).toBe(false);
    } finally {
      await rig.stop();
    }
  });

  it('rejects a verdict request after the process died', async () => {
    const rig = await startSimRig({ seed: 4, cameras: false });
    try {
      process.kill(rig.pid, 'SIGKILL');
      await rig.exited;
      await expect(rig.taskVerdict()).rejects.toThrow('simulator process exited (signal SIGKILL) before verdict was sent');
    } finally {
      await rig.stop();
    }
  });
});
