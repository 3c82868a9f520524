import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../common/errors.js';
import { createVirtualPortPair } from './virtual-ports.js';

function openPort(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: 1_000_000 }, (error) => (error ? reject(error) : resolve(port)));
  });
}

const closePort = (port: SerialPort) => new Promise((resolve) => port.close(resolve));

describe('createVirtualPortPair', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rdvla-ports-test-'));
  const originalPath = process.env.PATH;

  afterEach(() => {
    process.env.PATH = originalPath;
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('links two ptys that pass bytes both ways', async () => {
    const pair = await createVirtualPortPair(join(dir, 'app'), join(dir, 'sim'));
    const app = await openPort(pair.appPath);
    const sim = await openPort(pair.simPath);

    const toSim = new Promise<Buffer>((resolve) => sim.once('data', resolve));
    app.write(Buffer.of(0xff, 0xff, 0xfd, 0x00));
    expect([...(await toSim)]).toEqual([0xff, 0xff, 0xfd, 0x00]);

    const toApp = new Promise<Buffer>((resolve) => app.once('data', resolve));
    sim.write(Buffer.of(1, 2, 3));
    expect([...(await toApp)]).toEqual([1, 2, 3]);

    await closePort(app);
    await closePort(sim);
    await pair.close();
    expect(existsSync(pair.appPath)).toBe(false);
    expect(existsSync(pair.simPath)).toBe(false);
  });

  it('missing socat is a user error', async () => {
    process.env.PATH = '/nonexistent';
    const attempt = createVirtualPortPair(join(dir, 'a'), join(dir, 'b'));
    await expect(attempt).rejects.toBeInstanceOf(UserError);
    await expect(attempt).rejects.toThrow('socat not found: install it with `apt-get install socat`');
  });
});
