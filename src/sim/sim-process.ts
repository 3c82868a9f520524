/**
 * Entry point of the simulator's child process: it opens the simulator's end of every
 * virtual serial port and replies to the app's packets there, on an event loop of its own.
 * The parent (sim-rig.ts) talks to it over the IPC channel; when that channel closes the
 * process exits, so a crashed app leaves no simulator behind.
 */
import { SerialPort } from 'serialport';
import { monotonicNs } from '../common/clock.js';
import { errorMessage } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { ARM_NAMES, type ArmName, loadRigConfig } from '../rig/rig-config.js';
import { createScriptedOperator } from './operator-script.js';
import { buildSimArms } from './sim-arms.js';
import { type AttachedBus, attachSimBus } from './sim-bus-port.js';
import type { SimBus } from './sim-bus.js';
import type { SimEvent, SimRequest } from './sim-protocol.js';
import { type SimScene, startSimScene } from './sim-scene.js';
import { SceneOperator } from './task-operator.js';

const log = createLogger('sim');

let buses: Record<ArmName, SimBus> | undefined;
let scene: SimScene | undefined;
const ports: SerialPort[] = [];
const attached: AttachedBus[] = [];

function reply(event: SimEvent): void {
  process.send?.(event);
}

function openPort(path: string, baudRate: number): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate }, (error) => (error ? reject(error) : resolve(port)));
  });
}

async function start(request: Extract<SimRequest, { type: 'start' }>): Promise<void> {
  const rig = loadRigConfig(request.rigFile);
  const operator = new SceneOperator(createScriptedOperator(request.seed));
  const startNs = monotonicNs();
  buses = buildSimArms(rig, { baudRate: request.baudRate, operator, startNs });

  for (const arm of ARM_NAMES) {
    const port = await openPort(request.simPorts[arm], request.baudRate);
    port.on('error', (error) => log.error(`${arm}: simulator port error: ${error.message}`));
    ports.push(port);
    attached.push(attachSimBus(arm, buses[arm], port));
  }
  scene = await startSimScene({ rig, buses, operator, seed: request.seed, startNs });
  log.info(`simulated rig ready: 4 buses of ${rig.arms.left_follower.motors.length} motors at ${request.baudRate} bit/s, seed ${request.seed}`);
}

function applyFault(request: Extract<SimRequest, { type: 'fault' }>): void {
  const servo = buses?.[request.arm].servos.find((candidate) => candidate.id === request.id);
  if (!servo) throw new Error(`no simulated motor ${request.id} on ${request.arm}`);
  const fault = request.fault;
  if (fault.kind === 'silent') servo.setResponding(false);
  else if (fault.kind === 'replying') servo.setResponding(true);
  else servo.injectHardwareError(fault.bits);
}

let shuttingDown = false;

function shutdown(): void {
  if (shuttingDown) return;
  shuttingDown = true;
  void scene?.stop();
  for (const bus of attached) bus.detach();
  let open = ports.length;
  if (open === 0) process.exit(0);
  for (const port of ports) {
    port.close(() => {
      open -= 1;
      if (open === 0) process.exit(0);
    });
  }
  setTimeout(() => process.exit(0), 1000).unref();
}

process.on('message', (message: SimRequest) => {
  if (message.type === 'start') {
    start(message).then(
      () => reply({ type: 'ready' }),
      (error: unknown) => reply({ type: 'error', message: errorMessage(error) }),
    );
  } else if (message.type === 'fault') {
    try {
      applyFault(message);
      reply({ type: 'fault-applied' });
    } catch (error) {
      reply({ type: 'error', message: errorMessage(error) });
    }
  } else if (message.type === 'reset-scene' || message.type === 'verdict') {
    if (!scene) reply({ type: 'error', message: `cannot handle ${message.type} before the simulator has started` });
    else if (message.type === 'reset-scene') {
      scene.reset(message.seed).then(
        (placed) => reply({ type: 'scene', ...placed }),
        (error: unknown) => reply({ type: 'error', message: errorMessage(error) }),
      );
    }
    else reply({ type: 'verdict', ...scene.verdict() });
  } else if (message.type === 'stop') {
    shutdown();
  }
});

process.on('disconnect', shutdown);
// Ctrl-C in a terminal reaches the whole process group; the parent decides when the simulator stops.
process.on('SIGINT', () => {});
