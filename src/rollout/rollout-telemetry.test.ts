import { describe, expect, it } from 'vitest';
import { type RolloutEvent, RolloutTelemetry } from './rollout-telemetry.js';

function tickAt(tick: number, timeS: number): RolloutEvent {
  return { type: 'tick', tick, timeS, state: [0], action: [0], holding: false, latenessMs: 0, periodMs: 20, waitTicks: 0 };
}

describe('RolloutTelemetry', () => {
  it('rate-limits ticks per listener', () => {
    const telemetry = new RolloutTelemetry();
    const all: RolloutEvent[] = [];
    const slow: RolloutEvent[] = [];
    telemetry.subscribe((event) => all.push(event));
    telemetry.subscribe((event) => slow.push(event), { tickHz: 20 });

    for (let tick = 0; tick < 100; tick++) telemetry.emit(tickAt(tick, tick * 0.02));

    expect(all).toHaveLength(100);
    expect(slow).toHaveLength(40);
    expect(slow.slice(0, 4).map((event) => (event.type === 'tick' ? event.tick : -1))).toEqual([0, 3, 5, 8]);
  });

  it('passes other events to every listener', () => {
    const telemetry = new RolloutTelemetry();
    const slow: RolloutEvent[] = [];
    telemetry.subscribe((event) => slow.push(event), { tickHz: 1 });

    telemetry.emit(tickAt(0, 0));
    telemetry.emit(tickAt(1, 0.02));
    telemetry.emit({ type: 'wait', fromTick: 1, ticks: 3 });
    telemetry.emit({ type: 'estop', tick: 2, behaviour: 'hold' });

    expect(slow.map((event) => event.type)).toEqual(['tick', 'wait', 'estop']);
  });

  it('stops delivering after unsubscribe', () => {
    const telemetry = new RolloutTelemetry();
    const seen: RolloutEvent[] = [];
    const unsubscribe = telemetry.subscribe((event) => seen.push(event));

    telemetry.emit({ type: 'wait', fromTick: 0, ticks: 1 });
    unsubscribe();
    telemetry.emit({ type: 'wait', fromTick: 5, ticks: 1 });

    expect(seen).toHaveLength(1);
  });
});
