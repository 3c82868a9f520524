import { InvalidArgumentError } from 'commander';
import { expect, it } from 'vitest';
import { durationSeconds, integerUpTo, taskText } from './record.js';

it('duration accepts one day at most', () => {
  expect(durationSeconds('0.5')).toBe(0.5);
  expect(durationSeconds('86400')).toBe(86_400);
  expect(() => durationSeconds('1e12')).toThrow(new InvalidArgumentError('expected at most 86400 seconds (one day), got "1e12"'));
  expect(() => durationSeconds('0')).toThrow('expected a positive number, got "0"');
});

it('bounded integer rejects values above its limit', () => {
  const depth = integerUpTo(64);
  expect(depth('64')).toBe(64);
  expect(() => depth('65')).toThrow(new InvalidArgumentError('expected a whole number from 1 to 64, got "65"'));
  expect(() => depth('2.5')).toThrow('expected a positive integer, got "2.5"');
});

it('task text must not be blank', () => {
  expect(taskText('fold the towel')).toBe('fold the towel');
  expect(() => taskText('  ')).toThrow(new InvalidArgumentError('expected a task instruction, got blank text'));
});
