import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../common/errors.js';
import { alohaRig } from './presets.js';
import { loadRigConfig, parseRigConfig } from './rig-config.js';
import { vectorNames, vectorSize } from './joint-layout.js';

const ports = { left_leader: '/dev/ttyUSB0', left_follower: '/dev/ttyUSB1', right_leader: '/dev/ttyUSB2', right_follower: '/dev/ttyUSB3' };

function presetJson(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(alohaRig(ports))) as Record<string, unknown>;
}

describe('rig config', () => {
  it('aloha preset has a 14-value layout', () => {
    const rig = alohaRig(ports);
    expect(vectorSize(rig)).toBe(14);
    expect(vectorNames(rig)).toEqual([
      'left_waist', 'left_shoulder', 'left_elbow', 'left_forearm_roll', 'left_wrist_angle', 'left_wrist_rotate', 'left_gripper',
      'right_waist', 'right_shoulder', 'right_elbow', 'right_forearm_roll', 'right_wrist_angle', 'right_wrist_rotate', 'right_gripper',
    ]);
  });

  it('preset survives a JSON round trip', () => {
    const json = presetJson();
    expect(parseRigConfig(json, 'rig.json')).toEqual(alohaRig(ports));
  });

  it('names a bad baud rate', () => {
    const json = presetJson() as { arms: { left_follower: { baudRate: number } } };
    json.arms.left_follower.baudRate = 12345;
    expect(() => parseRigConfig(json, 'rig.json')).toThrow(/arms\.left_follower\.baudRate/);
  });

  it('lists the valid baud rates', () => {
    const json = presetJson() as { arms: { left_follower: { baudRate: unknown } } };
    json.arms.left_follower.baudRate = '1000000';
    expect(() => parseRigConfig(json, 'rig.json')).toThrow(/arms\.left_follower\.baudRate: expected one of 9600, 57600, 115200, 1000000/);
  });

  it('rejects a misspelt field', () => {
    const json = presetJson() as Record<string, unknown>;
    json.fsp = 30;
    expect(() => parseRigConfig(json, 'rig.json')).toThrow(/\(root\): Unrecognized key: "fsp"/);
  });

  it('names a wrong motor field type', () => {
    const json = presetJson() as { arms: { right_leader: { motors: { id: unknown }[] } } };
    json.arms.right_leader.motors[3]!.id = 'four';
    expect(() => parseRigConfig(json, 'rig.json')).toThrow(/arms\.right_leader\.motors\[3\]\.id: .*expected number/);
  });

  it('rejects an inverted calibration range', () => {
    const json = presetJson() as { arms: { left_leader: { motors: { calibration: { rangeMin: number } }[] } } };
    json.arms.left_leader.motors[0]!.calibration.rangeMin = 5000;
    expect(() => parseRigConfig(json, 'rig.json')).toThrow(/motors\[0\]\.calibration\.rangeMax: rangeMin must be less than rangeMax/);
  });

  it('rejects leader and follower joint mismatch', () => {
    const json = presetJson() as { arms: { left_leader: { motors: { joint: string }[] } } };
    json.arms.left_leader.motors[1]!.joint = 'elbow_shadow';
    expect(() => parseRigConfig(json, 'rig.json')).toThrow(/must match follower joints/);
  });

  it('rejects duplicate motor ids', () => {
    const json = presetJson() as { arms: { right_follower: { motors: { id: number }[] } } };
    json.arms.right_follower.motors[2]!.id = 1;
    expect(() => parseRigConfig(json, 'rig.json')).toThrow(/duplicate motor id 1/);
  });

  it('reports unreadable and non-JSON files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rig-'));
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{ "version": 1,');
    expect(() => loadRigConfig(path)).toThrow(UserError);
    expect(() => loadRigConfig(path)).toThrow(/not valid JSON/);
    expect(() => loadRigConfig(join(dir, 'missing.json'))).toThrow(/cannot read rig file/);
  });
});
