import { describe, expect, it } from 'vitest';
import { transactionTimeoutMs, wireTimeUs } from './timing.js';

describe('wireTimeUs', () => {
  it('counts 10 bits per byte', () => {
    expect(wireTimeUs(1, 1_000_000)).toBe(10);
    expect(wireTimeUs(14, 57_600)).toBeCloseTo(2430.56, 2);
  });
});

describe('transactionTimeoutMs', () => {
  it('adds wire time, return delays, latency and margin', () => {
    // Read of 4 bytes at 1 Mbps: 14 bytes out, 15 back (290 us), one 500 us return delay.
    const timeout = transactionTimeoutMs({ baudRate: 1_000_000, bytesSent: 14, bytesExpected: 15, replies: 1, returnDelayUs: 500, latencyMs: 16, marginMs: 2 });
    expect(timeout).toBeCloseTo(0.29 + 0.5 + 16 + 2, 6);
  });
});
