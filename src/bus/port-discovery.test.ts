import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listDevSerialPorts } from './port-discovery.js';

const dev = mkdtempSync(join(tmpdir(), 'rdvla-dev-'));

afterAll(() => rmSync(dev, { recursive: true, force: true }));

describe('listDevSerialPorts', () => {
  it('lists USB ports with by-id links', () => {
    for (const name of ['ttyUSB0', 'ttyUSB1', 'ttyACM0', 'ttyS0', 'tty1']) writeFileSync(join(dev, name), '');
    mkdirSync(join(dev, 'serial', 'by-id'), { recursive: true });
    const link = join(dev, 'serial', 'by-id', 'usb-FTDI_USB__-__Serial_Converter_FT1234-if00-port0');
    symlinkSync(join(dev, 'ttyUSB1'), link);

    const ports = listDevSerialPorts(dev).sort((a, b) => a.path.localeCompare(b.path));

    expect(ports).toEqual([
      { path: join(dev, 'ttyACM0') },
      { path: join(dev, 'ttyUSB0') },
      { path: join(dev, 'ttyUSB1'), byIdPath: link },
    ]);
  });

  it('returns nothing without a dev folder', () => {
    expect(listDevSerialPorts(join(dev, 'missing'))).toEqual([]);
  });
});
