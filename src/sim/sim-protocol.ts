import type { ArmName } from '../rig/rig-config.js';

/** A fault the simulator can put on one motor: it stops replying, or it sets Hardware Error Status bits. */
export type ServoFault = { kind: 'silent' } | { kind: 'replying' } | { kind: 'hardware-error'; bits: number };

/** Messages from the app process to the simulator process. */
export type SimRequest =
  | { type: 'start'; rigFile: string; simPorts: Record<ArmName, string>; baudRate: number; seed: number }
  | { type: 'fault'; arm: ArmName; id: number; fault: ServoFault }
  | { type: 'reset-scene'; seed?: number }
  | { type: 'verdict' }
  | { type: 'stop' };

/** Messages from the simulator process to the app process. */
export type SimEvent =
  | { type: 'ready' }
  | { type: 'fault-applied' }
  | { type: 'scene'; task: string; seed: number }
  | { type: 'verdict'; success: boolean; detail: string }
  | { type: 'error'; message: string };
