import { describe, expect, it } from 'vitest';
import { UserError } from '../common/errors.js';
import { vectorNames } from '../rig/joint-layout.js';
import type { TickInput } from '../teleop/control-loop.js';
import { ChunkPipeline } from './chunk-pipeline.js';
import { type AppliedInference, type DriverFault, MAX_CONSECUTIVE_REJECTIONS, MIN_WATCHDOG_MS, PolicyDriver } from './policy-driver.js';
import { ManualPolicy, fakeResult, fakeRig } from './test-support/fake-rig.js';

const PERIOD_NS = 20_000_000n;
const rig = fakeRig();
const names = vectorNames(rig);

/** Lets pending promise callbacks run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function setup(options: { watchdogMs?: number; initialLatencyMs?: number } = {}) {
  const policy = new ManualPolicy();
  const events = { inferences: [] as AppliedInference[], rejected: [] as string[], faults: [] as { kind: DriverFault; message: string }[] };
  const driver = new PolicyDriver({
    rig,
    policy,
    pipeline: new ChunkPipeline({ periodMs: 20, marginMs: 10, maxLeadTicks: 4, initialLatencyMs: options.initialLatencyMs ?? 30 }),
    task: 'stack the cups',
    modelCameras: ['cam_high'],
    cameras: null,
    watchdogMs: options.watchdogMs,
    seed: 40,
    hooks: {
      inference: (inference) => events.inferences.push(inference),
      waitEnded: () => undefined,
      rejected: (_tick, reason) => events.rejected.push(reason),
      fault: (kind, message) => events.faults.push({ kind, message }),
    },
    now: () => 0n,
  });

  let index = 0;
  let previous: Float32Array = new Float32Array(14).fill(0);
  previous[6] = 0.5;
  previous[13] = 0.5;
  const executed: (Float32Array | null)[] = [];
  const tick = (): Float32Array | null => {
    const input: TickInput = { index, tNs: BigInt(index) * PERIOD_NS, state: previous, leader: null, previousAction: previous };
    const action = driver.source(input);
    executed.push(action);
    if (action) previous = action;
    index += 1;
    return action;
  };
  return { policy, driver, events, tick, executed };
}

describe('PolicyDriver', () => {
  it('launches with the task, state and seed', () => {
    const { policy, tick } = setup();
    tick();
    expect(policy.calls).toHaveLength(1);
    expect(policy.last.request.task).toBe('stack the cups');
    expect(policy.last.request.seed).toBe(40);
    expect(Array.from(policy.last.request.state)).toEqual([0, 0, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, 0, 0, 0.5]);
  });

  it('clamps every action to the joint limits and step', async () => {
    const { policy, tick, executed } = setup();
    let answered = 0;
    for (let i = 0; i < 40; i++) {
      tick();
      if (policy.calls.length > answered) {
        const sign = answered % 2 === 0 ? 1 : -1;
        policy.calls[answered]!.resolve(fakeResult((row, joint) => sign * (joint % 2 === 0 ? 1e6 : -1e6) * (row + 1)));
        answered += 1;
        await settle();
      }
    }

    const actions = executed.filter((action): action is Float32Array => action !== null);
    expect(actions.length).toBeGreaterThan(30);
    let previous = actions[0]!;
    for (const action of actions) {
      action.forEach((value, slot) => {
        const joint = names[slot]!.replace(/^(left|right)_/, '');
        const limit = rig.jointLimits[joint]!;
        const maxStep = joint === 'gripper' ? rig.maxStepPerTick.gripper : rig.maxStepPerTick.joint;
        expect(value).toBeGreaterThanOrEqual(limit.min);
        expect(value).toBeLessThanOrEqual(limit.max);
        expect(Math.abs(value - previous[slot]!)).toBeLessThanOrEqual(maxStep + 1e-6);
      });
      previous = action;
    }
  });

  it('rejects a chunk with NaN', async () => {
    const { policy, tick, events, executed } = setup();
    tick();
    policy.last.resolve(fakeResult((row, joint) => (row === 3 && joint === 5 ? Number.NaN : 0.1)));
    await settle();
    tick();
    tick();

    expect(executed.every((action) => action === null)).toBe(true);
    expect(events.rejected).toEqual(['inference 0: action 3 joint 5 is NaN']);
    expect(events.inferences).toHaveLength(0);
    expect(policy.calls).toHaveLength(2);

    policy.last.resolve(fakeResult(() => 0.1));
    await settle();
    const action = tick();
    expect(action).not.toBeNull();
    expect(Array.from(action!).every(Number.isFinite)).toBe(true);
    expect(events.inferences).toHaveLength(1);
  });

  it('rejects a policy UserError and replans', async () => {
    const { policy, tick, events } = setup();
    tick();
    policy.last.reject(new UserError('actions is NaN at element 3'));
    await settle();
    tick();

    expect(events.rejected).toEqual(['inference 0: actions is NaN at element 3']);
    expect(events.faults).toEqual([]);
    expect(policy.calls).toHaveLength(2);
  });

  it('stops after repeated invalid chunks', async () => {
    const { policy, tick, events, driver } = setup();
    for (let i = 0; i < MAX_CONSECUTIVE_REJECTIONS; i++) {
      tick();
      policy.last.resolve(fakeResult(() => Number.POSITIVE_INFINITY));
      await settle();
    }

    expect(events.rejected).toHaveLength(MAX_CONSECUTIVE_REJECTIONS);
    expect(events.faults.map((fault) => fault.kind)).toEqual(['policy-error']);
    expect(driver.halted).toBe(true);
    expect(tick()).toBeNull();
  });

  it('faults when the worker dies', async () => {
    const { policy, tick, events } = setup();
    tick();
    policy.last.reject(new Error('policy worker exited with code 1'));
    await settle();

    expect(events.faults).toHaveLength(1);
    expect(events.faults[0]!.kind).toBe('policy-error');
    expect(events.faults[0]!.message).toContain('policy worker exited with code 1');
    expect(tick()).toBeNull();
  });

  it('watchdog holds when the policy is silent', () => {
    const { tick, events, driver } = setup({ watchdogMs: 100 });
    for (let i = 0; i < 6; i++) tick();
    expect(events.faults).toEqual([]);

    expect(tick()).toBeNull();
    expect(events.faults).toHaveLength(1);
    expect(events.faults[0]!.kind).toBe('watchdog');
    expect(events.faults[0]!.message).toContain('within 100 ms');
    expect(driver.halted).toBe(true);
  });

  it('derives the deadline from the latency', () => {
    const { driver } = setup();
    expect(driver.deadlineMs).toBe(MIN_WATCHDOG_MS);
  });

  it('scales the deadline with slow inference', () => {
    const { driver } = setup({ initialLatencyMs: 400 });
    expect(driver.deadlineMs).toBe(1200);
  });

  it('ignores a chunk that lands after halt', async () => {
    const { policy, tick, driver, events } = setup();
    tick();
    driver.halt();
    policy.last.resolve(fakeResult(() => 0.1));
    await settle();

    expect(tick()).toBeNull();
    expect(events.inferences).toHaveLength(0);
  });
});
