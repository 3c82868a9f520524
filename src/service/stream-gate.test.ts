import { describe, expect, it } from 'vitest';
import { StreamGate, latestWinsKey } from './stream-gate.js';

describe('StreamGate', () => {
  it('sends at once while writable', () => {
    const sent: string[] = [];
    const gate = new StreamGate((text) => sent.push(text), () => true);
    gate.offer('frame:cam_high', 'a');
    gate.offer(null, 'b');
    expect(sent).toEqual(['a', 'b']);
    gate.close();
  });

  it('keeps the newest event per key while blocked', () => {
    const sent: string[] = [];
    let writable = false;
    const gate = new StreamGate((text) => sent.push(text), () => writable);
    gate.offer('frame:cam_high', 'frame 1');
    gate.offer('frame:cam_left_wrist', 'left 1');
    gate.offer('frame:cam_high', 'frame 2');
    gate.offer(null, 'inference 1');
    gate.offer(null, 'inference 2');
    expect(gate.pending).toBe(4);

    writable = true;
    gate.flush();
    expect(sent).toEqual(['left 1', 'frame 2', 'inference 1', 'inference 2']);
    gate.close();
  });
});

describe('latestWinsKey', () => {
  it('keys frames by camera and queues inferences', () => {
    expect(latestWinsKey('frame', { camera: 'cam_high' })).toBe('frame:cam_high');
    expect(latestWinsKey('joints', {})).toBe('joints');
    expect(latestWinsKey('inference', {})).toBeNull();
  });
});
