import { Command, Option } from 'commander';
import { UserError } from '../../common/errors.js';
import { modelNameOf } from '../../dynamixel/control-table.js';
import { listSerialPorts } from '../../bus/port-discovery.js';
import { DynamixelBus } from '../../bus/servo-bus.js';

interface ScanOptions {
  port: string;
  baud: number;
  protocol: 'dynamixel';
  latencyMs: number;
  json?: boolean;
}

function parseNumber(flag: string, min: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) throw new UserError(`${flag} ${value} is invalid: use a whole number >= ${min}`);
    return parsed;
  };
}

async function scan(options: ScanOptions): Promise<void> {
  const bus = await DynamixelBus.openSerial(options.port, options.baud, { latencyMs: options.latencyMs });
  try {
    const motors = await bus.scan();
    if (options.json) {
      console.log(JSON.stringify(motors.map(({ id, modelNumber, position }) => ({ id, model: modelNumber, position }))));
      return;
    }
    if (motors.length === 0) {
      console.log(`no motors found on ${options.port} at ${options.baud} baud: check power, wiring and baud rate`);
      return;
    }
    printTable(
      ['ID', 'MODEL', 'NAME', 'FIRMWARE', 'POSITION'],
      motors.map((motor) => [motor.id, motor.modelNumber, modelNameOf(motor.modelNumber) ?? 'unknown', motor.firmware, motor.position ?? 'no reply'].map(String)),
    );
  } finally {
    await bus.close();
  }
}

async function ports(options: { json?: boolean }): Promise<void> {
  const found = await listSerialPorts();
  if (options.json) {
    console.log(JSON.stringify(found));
    return;
  }
  if (found.length === 0) {
    console.log('no serial ports found: plug in the USB-serial adapter and check `dmesg` for its device name');
    return;
  }
  printTable(
    ['PATH', 'BY-ID', 'MANUFACTURER', 'SERIAL'],
    found.map((port) => [port.path, port.byIdPath ?? '-', port.manufacturer ?? '-', port.serialNumber ?? '-']),
  );
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
}

/** Adds `rdvla bus scan` and `rdvla bus ports`. */
export function registerBusCommands(program: Command): void {
  const bus = program.command('bus').description('Find serial ports and the servos on them');

  bus
    .command('scan')
    .description('List the servos on a bus: ID, model number and present position (raw steps, signed)')
    .requiredOption('--port <path>', 'serial port of the bus, e.g. /dev/ttyUSB0')
    .option('--baud <bps>', 'bit rate of the bus in bits per second', parseNumber('--baud', 1), 1_000_000)
    .addOption(new Option('--protocol <name>', 'servo protocol').choices(['dynamixel']).default('dynamixel'))
    .option('--latency-ms <ms>', 'USB-serial adapter latency in ms (16 for FTDI by default, 1 once lowered)', parseNumber('--latency-ms', 0), 16)
    .option('--json', 'print a JSON array of {id, model, position}')
    .action((options: ScanOptions) => scan(options));

  bus
    .command('ports')
    .description('List serial ports that may connect to a servo bus')
    .option('--json', 'print a JSON array')
    .action((options: { json?: boolean }) => ports(options));
}
