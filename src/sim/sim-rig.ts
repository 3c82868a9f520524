import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { alohaRig } from '../rig/presets.js';
import { ARM_NAMES, type ArmName, type RigConfig } from '../rig/rig-config.js';
import { type SimCameraOptions, simCameraConfigs } from './sim-cameras.js';
import type { ServoFault, SimEvent, SimRequest } from './sim-protocol.js';
import { type VirtualPortPair, createVirtualPortPair } from './virtual-ports.js';

const log = createLogger('sim');

export interface SimRigOptions {
  /** Folder for the port links and the rig file; a new folder under the system temp dir by default. */
  dir?: string;
  /** Bus bit rate of every arm; 1 Mbps by default. */
  baudRate?: number;
  /** Seed of the scripted operator that moves the leader arms, and of the table scenes. */
  seed?: number;
  /** Size and rate of the simulated cameras; `false` leaves them out of the rig file. */
  cameras?: SimCameraOptions | false;
}

export interface SimRig {
  readonly dir: string;
  /** Rig file (JSON) that points the app at the simulated ports. */
  readonly rigFile: string;
  readonly config: RigConfig;
  /** App-side serial port path of each arm. */
  readonly ports: Record<ArmName, string>;
  /** Process id of the simulator. */
  readonly pid: number;
  /** Resolves with the simulator process's exit code once it has exited (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  /** Puts a fault on one simulated motor, for tests of the app's error handling. */
  injectFault(arm: ArmName, id: number, fault: ServoFault): Promise<void>;
  /**
   * Places new targets on the table and returns the task text; the scripted operator starts
   * solving it now. Without a seed, the next scene seed of this run is used.
   */
  resetScene(seed?: number): Promise<{ task: string; seed: number }>;
  /** Checks whether each follower gripper's tip is on its goal target. */
  taskVerdict(): Promise<{ success: boolean; detail: string }>;
  /** Ends the simulator process and socat, and removes the links (and the folder if it was created here). */
  stop(): Promise<void>;
}

export const RIG_FILE_NAME = 'rig.json';

/**
 * Latency written into the simulated rig file as the adapter latency. Every reply crosses socat
 * twice and the simulator process once, and on a loaded machine the scheduler can hold one for
 * several milliseconds. A missed reply only costs time when it happens, so a generous value
 * keeps teleop running without slowing the normal path.
 */
const SIM_PORT_LATENCY_MS = 20;
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 3_000;

const children = new Set<ChildProcess>();
const ownedDirs = new Set<string>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of ownedDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts the simulated bimanual rig: a socat pty pair per arm, a rig file naming the
 * app-side ends, and a child process that emulates the four servo buses on the other ends.
 * If the child dies, socat is stopped too, so the app's ports close.
 */
export async function startSimRig(options: SimRigOptions = {}): Promise<SimRig> {
  const baudRate = options.baudRate ?? 1_000_000;
  const seed = options.seed ?? 1;
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'rdvla-sim-'));
  mkdirSync(dir, { recursive: true });
  if (ownsDir) ownedDirs.add(dir);

  const ports = Object.fromEntries(ARM_NAMES.map((arm) => [arm, join(dir, arm)])) as Record<ArmName, string>;
  const simPorts = Object.fromEntries(ARM_NAMES.map((arm) => [arm, join(dir, `.${arm}.sim`)])) as Record<ArmName, string>;
  const pairs: VirtualPortPair[] = [];
  const cleanUp = async (): Promise<void> => {
    await Promise.all(pairs.map((pair) => pair.close()));
    if (!ownsDir) return;
    rmSync(dir, { recursive: true, force: true });
    ownedDirs.delete(dir);
  };

  let child: ChildProcess | undefined;
  try {
    for (const arm of ARM_NAMES) pairs.push(await createVirtualPortPair(ports[arm], simPorts[arm]));

    const cameras = options.cameras === false ? [] : simCameraConfigs(dir, options.cameras);
    const config = alohaRig(ports, { name: 'aloha-sim', baudRate, latencyMs: SIM_PORT_LATENCY_MS, cameras });
    const rigFile = join(dir, RIG_FILE_NAME);
    writeFileSync(rigFile, `${JSON.stringify(config, null, 2)}\n`);

    child = forkSimProcess();
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    await request(child, { type: 'start', rigFile, simPorts, baudRate, seed }, READY_TIMEOUT_MS, 'ready');
    log.info(`simulated rig in ${dir}: ${ARM_NAMES.length} buses at ${baudRate} bit/s, seed ${seed}`);

    let stopping = false;
    const running = child;
    void exited.then(async (code) => {
      children.delete(running);
      if (stopping) return;
      log.error(`simulator process exited unexpectedly (code ${code ?? 'none'}): closing its ports`);
      await Promise.all(pairs.map((pair) => pair.close()));
    });

    return {
      dir,
      rigFile,
      config,
      ports,
      pid: running.pid ?? -1,
      exited,
      injectFault: async (arm, id, fault) => {
        await request(running, { type: 'fault', arm, id, fault }, 5_000, 'fault-applied');
      },
      resetScene: async (sceneSeed) => {
        const event = await request(running, { type: 'reset-scene', seed: sceneSeed }, 5_000, 'scene');
        return { task: event.task, seed: event.seed };
      },
      taskVerdict: async () => {
        const event = await request(running, { type: 'verdict' }, 5_000, 'verdict');
        return { success: event.success, detail: event.detail };
      },
      async stop() {
        if (stopping) return;
        stopping = true;
        if (running.exitCode === null && running.signalCode === null) {
          if (running.connected) running.send({ type: 'stop' } satisfies SimRequest);
          const timer = setTimeout(() => running.kill('SIGKILL'), STOP_TIMEOUT_MS);
          await exited;
          clearTimeout(timer);
        }
        await cleanUp();
        log.info(`simulated rig in ${dir} stopped`);
      },
    };
  } catch (error) {
    child?.kill('SIGKILL');
    await cleanUp();
    throw error;
  }
}

/** Forks sim-process: the compiled .js under Node, or the .ts source through tsx under Vitest. */
function forkSimProcess(): ChildProcess {
  const thisFile = fileURLToPath(import.meta.url);
  const fromSource = thisFile.endsWith('.ts');
  const entry = thisFile.replace(/sim-rig\.(ts|js)$/, `sim-process.${fromSource ? 'ts' : 'js'}`);
  const child = fork(entry, [], { execArgv: fromSource ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  return child;
}

/** Sends `message` and resolves with the `expected` event; an error event or an exit rejects. */
function request<T extends SimEvent['type']>(child: ChildProcess, message: SimRequest, timeoutMs: number, expected: T): Promise<Extract<SimEvent, { type: T }>> {
  return new Promise((resolve, reject) => {
    const finish = (error?: Error, event?: SimEvent): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(event as Extract<SimEvent, { type: T }>);
    };
    const onMessage = (event: SimEvent): void => {
      if (event.type === expected) finish(undefined, event);
      else if (event.type === 'error') finish(new UserError(`simulated rig failed: ${event.message}`));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      finish(new UserError(`simulator process exited (${exitReason(code, signal)}) before responding to ${message.type}`));
    const timer = setTimeout(() => finish(new UserError(`simulator process did not respond to ${message.type} within ${timeoutMs} ms`)), timeoutMs);

    if (child.exitCode !== null || child.signalCode !== null || !child.connected) {
      const reason = exitReason(child.exitCode, child.signalCode);
      finish(new UserError(`simulator process exited (${reason}) before ${message.type} was sent: start the simulated rig again`));
      return;
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(message, (error) => {
      if (error) finish(new UserError(`sending ${message.type} to the simulator process failed: ${error.message}`));
    });
  });
}

/** Describes how a child process ended, e.g. "code 1" or "signal SIGTERM". */
function exitReason(code: number | null, signal: NodeJS.Signals | null): string {
  return code !== null ? `code ${code}` : `signal ${signal ?? 'none'}`;
}
