import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ServoResponder } from '../../bus/test-support/servo-responder.js';
import { type VirtualPortPair, openVirtualPortPair } from '../../bus/test-support/virtual-port-pair.js';
import { main } from '../main.js';

let ports: VirtualPortPair;
let responder: ServoResponder;

beforeAll(async () => {
  ports = await openVirtualPortPair();
  responder = await ServoResponder.open(ports.b);
  responder.addMotor(4, 1020, 45, -300);
  responder.addMotor(7, 1200, 46, 4095);
});

afterAll(async () => {
  await responder?.close();
  await ports?.close();
});

async function runCli(args: string[]): Promise<{ stdout: string; exitCode: number | undefined }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
  const previousExitCode = process.exitCode;
  process.exitCode = undefined;
  try {
    await main(['node', 'rdvla', ...args]);
    return { stdout: lines.join('\n'), exitCode: process.exitCode };
  } finally {
    log.mockRestore();
    process.exitCode = previousExitCode;
  }
}

describe('rdvla bus scan', () => {
  it('prints motors as JSON', async () => {
    const { stdout, exitCode } = await runCli(['bus', 'scan', '--port', ports.a, '--latency-ms', '40', '--json']);
    expect(exitCode).toBeUndefined();
    expect(JSON.parse(stdout)).toEqual([
      { id: 4, model: 1020, position: -300 },
      { id: 7, model: 1200, position: 4095 },
    ]);
  });

  it('prints a readable table', async () => {
    const { stdout } = await runCli(['bus', 'scan', '--port', ports.a, '--latency-ms', '40']);
    const rows = stdout.split('\n').map((line) => line.split(/\s+/));
    expect(rows[0]).toEqual(['ID', 'MODEL', 'NAME', 'FIRMWARE', 'POSITION']);
    expect(rows[1]).toEqual(['4', '1020', 'xm430-w350', '45', '-300']);
    expect(rows[2]).toEqual(['7', '1200', 'xl330-m288', '46', '4095']);
  });

  it('rejects a missing port', async () => {
    const errors: string[] = [];
    const error = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void errors.push(String(line)));
    try {
      const { exitCode } = await runCli(['bus', 'scan', '--port', '/dev/ttyUSB9-missing', '--json']);
      expect(exitCode).toBe(1);
      expect(errors).toEqual(['rdvla: serial port /dev/ttyUSB9-missing not found: run `rdvla bus ports` to list ports']);
    } finally {
      error.mockRestore();
    }
  });
});
