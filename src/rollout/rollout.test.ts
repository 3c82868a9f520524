import { describe, expect, it } from 'vitest';
import type { StepSample } from '../store/episode-types.js';
import { Rollout } from './rollout.js';
import type { RolloutEvent } from './rollout-telemetry.js';
import { FAKE_POLICY_INFO, FakeConnection, ManualPolicy, fakeResult, instantPolicy } from './test-support/fake-rig.js';

/** Resolves on the loop's `count`-th step, from inside the 'step' handler. */
function onStep(rollout: Rollout, count: number, then: () => void): Promise<void> {
  let seen = 0;
  return new Promise((resolve) => {
    const handler = (_step: StepSample): void => {
      seen += 1;
      if (seen < count) return;
      rollout.loop.off('step', handler);
      then();
      resolve();
    };
    rollout.loop.on('step', handler);
  });
}

function makeRollout(connection: FakeConnection, policy: ConstructorParameters<typeof Rollout>[0]['policy'], watchdogMs?: number): Rollout {
  return new Rollout({ connection: connection.asConnection(), policy, policyInfo: FAKE_POLICY_INFO, task: 'fold the towel', warmupLatencyMs: 5, watchdogMs });
}

describe('Rollout', () => {
  for (const behaviour of ['hold', 'release'] as const) {
    it(`e-stop ${behaviour} acts on the next tick`, async () => {
      const connection = new FakeConnection();
      const rollout = makeRollout(connection, instantPolicy(() => fakeResult(() => 0.2)));
      const events: RolloutEvent[] = [];
      rollout.telemetry.subscribe((event) => events.push(event));
      let stepsAfterStop = 0;
      let callsAtStop = 0;

      await rollout.start();
      let stopping: Promise<void> = Promise.resolve();
      await onStep(rollout, 10, () => {
        callsAtStop = connection.calls.length;
        rollout.loop.on('step', () => (stepsAfterStop += 1));
        stopping = rollout.emergencyStop(behaviour);
      });
      await stopping;
      const end = await rollout.ended;

      const after = connection.calls.slice(callsAtStop);
      expect(stepsAfterStop).toBe(0);
      expect(end).toEqual({ reason: 'estop', fault: null });
      expect(events.filter((event) => event.type === 'estop')).toEqual([{ type: 'estop', tick: 9, behaviour }]);
      if (behaviour === 'release') {
        expect(after.filter((call) => call.op === 'writeGoals')).toEqual([]);
        expect(after.filter((call) => call.op === 'setTorque').every((call) => call.op === 'setTorque' && !call.enabled)).toBe(true);
        expect(new Set(after.map((call) => call.arm))).toEqual(new Set(['left_follower', 'right_follower']));
      } else {
        expect(after.map((call) => call.op)).toEqual(['readPositions', 'writeGoals', 'readPositions', 'writeGoals']);
      }
    });
  }

  it('watchdog stops with the arms holding', async () => {
    const connection = new FakeConnection();
    const policy = new ManualPolicy();
    const rollout = makeRollout(connection, policy, 60);
    const events: RolloutEvent[] = [];
    rollout.telemetry.subscribe((event) => events.push(event));

    await rollout.start();
    const end = await rollout.ended;

    expect(end.reason).toBe('watchdog');
    expect(end.fault).toContain('policy did not answer inference 0 within 60 ms');
    expect(events.some((event) => event.type === 'watchdog')).toBe(true);
    const last = connection.calls.slice(-4).map((call) => call.op);
    expect(last).toEqual(['readPositions', 'writeGoals', 'readPositions', 'writeGoals']);
    expect(connection.calls.some((call) => call.op === 'setTorque' && !call.enabled)).toBe(false);
    expect(rollout.totals.heldSteps).toBe(rollout.totals.steps);
  });

  it('reports inferences with k* and horizon', async () => {
    const connection = new FakeConnection();
    const rollout = makeRollout(connection, instantPolicy(() => fakeResult(() => 0.1, 5)));
    const inferences: RolloutEvent[] = [];
    rollout.telemetry.subscribe((event) => {
      if (event.type === 'inference') inferences.push(event);
    });

    await rollout.start();
    await onStep(rollout, 20, () => undefined);
    await rollout.stop();

    expect(inferences.length).toBeGreaterThanOrEqual(3);
    const first = inferences[0]!;
    expect(first).toMatchObject({ type: 'inference', index: 0, kStar: 7, horizon: 5, launchedAtStep: 0, appliedAtStep: 1, skipped: 0 });
    expect(rollout.totals.meanKStar).toBe(7);
  });
});
