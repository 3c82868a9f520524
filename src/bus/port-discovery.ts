import { accessSync, constants, readdirSync, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { SerialPort } from 'serialport';
import { errorMessage } from '../common/errors.js';
import { createLogger } from '../common/log.js';

const log = createLogger('port-discovery');

export interface SerialPortInfo {
  /** Device path to open, e.g. /dev/ttyUSB0. */
  path: string;
  /** Stable /dev/serial/by-id link to the same device, when udev made one. */
  byIdPath?: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
}

/**
 * Lists serial ports. On Linux the `serialport` package queries udevadm, so without udevadm
 * (minimal containers) the ports come from /dev/serial/by-id, /dev/ttyUSB* and /dev/ttyACM*.
 * Ports found both ways are listed once, by their real device path.
 */
export async function listSerialPorts(): Promise<SerialPortInfo[]> {
  const ports = new Map<string, SerialPortInfo>();

  if (process.platform !== 'linux' || commandExists('udevadm')) {
    try {
      for (const info of await SerialPort.list()) ports.set(resolvePath(info.path), fromPortInfo(info));
    } catch (error) {
      log.warn(`serialport list failed, listing /dev instead: ${errorMessage(error)}`);
    }
  }

  if (process.platform === 'linux') {
    for (const info of listDevSerialPorts()) {
      const known = ports.get(info.path);
      ports.set(info.path, { ...info, ...known, byIdPath: known?.byIdPath ?? info.byIdPath });
    }
  }
  return [...ports.values()].sort((a, b) => a.path.localeCompare(b.path));
}

/** Lists USB serial devices from /dev alone. */
export function listDevSerialPorts(devDir = '/dev'): SerialPortInfo[] {
  const ports = new Map<string, SerialPortInfo>();
  const byIdDir = join(devDir, 'serial', 'by-id');
  for (const name of readDirectory(byIdDir)) {
    const link = join(byIdDir, name);
    const path = resolvePath(link);
    ports.set(path, { path, byIdPath: link });
  }

  for (const name of readDirectory(devDir)) {
    if (!/^tty(USB|ACM)\d+$/.test(name)) continue;
    const path = join(devDir, name);
    if (!ports.has(path)) ports.set(path, { path });
  }
  return [...ports.values()];
}

function fromPortInfo(info: Awaited<ReturnType<typeof SerialPort.list>>[number]): SerialPortInfo {
  const result: SerialPortInfo = { path: resolvePath(info.path) };
  if (info.manufacturer) result.manufacturer = info.manufacturer;
  if (info.serialNumber) result.serialNumber = info.serialNumber;
  if (info.vendorId) result.vendorId = info.vendorId;
  if (info.productId) result.productId = info.productId;
  return result;
}

function readDirectory(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function resolvePath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function commandExists(command: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // Not in this directory.
    }
  }
  return false;
}
