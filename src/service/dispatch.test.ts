import { describe, expect, it, vi } from 'vitest';
import { UserError } from '../common/errors.js';
import type { StudioApi } from './api.js';
import { dispatchCall } from './dispatch.js';

function fakeApi(): StudioApi {
  return {
    episodes: {
      label: async (params: { id: number; outcome: string }) => ({ id: params.id, outcome: params.outcome }),
      get: async () => {
        throw new UserError('episode 9 not found');
      },
      delete: async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'x')");
      },
    },
  } as unknown as StudioApi;
}

describe('dispatchCall', () => {
  it('passes validated params and returns the result', async () => {
    expect(await dispatchCall(fakeApi(), 'episodes.label', { id: 3, outcome: 'success' })).toEqual({ result: { id: 3, outcome: 'success' } });
  });

  it('rejects invalid params with the field name', async () => {
    expect(await dispatchCall(fakeApi(), 'episodes.label', { id: 3, outcome: 'great' })).toEqual({
      error: expect.stringMatching(/^invalid parameters for episodes.label: outcome: /),
    });
    expect(await dispatchCall(fakeApi(), 'episodes.label', { id: 3, outcome: 'success', extra: 1 })).toEqual({ error: expect.stringContaining('extra') });
  });

  it('rejects unknown methods', async () => {
    expect(await dispatchCall(fakeApi(), 'episodes.constructor', {})).toEqual({ error: expect.stringMatching(/^unknown method "episodes.constructor"/) });
    expect(await dispatchCall(fakeApi(), 42, {})).toEqual({ error: expect.stringMatching(/^unknown method 42/) });
  });

  it('returns user errors as they are and hides stack traces', async () => {
    expect(await dispatchCall(fakeApi(), 'episodes.get', { id: 9 })).toEqual({ error: 'episode 9 not found' });

    // The fake delete throws on purpose; its stack trace goes to the service log, caught here.
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const outcome = await dispatchCall(fakeApi(), 'episodes.delete', { id: 9 });
      expect(outcome).toEqual({ error: "episodes.delete failed: Cannot read properties of undefined (reading 'x') (details in the service log)" });
      const logged = stderr.mock.calls.map(([text]) => String(text)).join('');
      expect(logged).toMatch(/ error service: episodes\.delete failed: TypeError: Cannot read properties of undefined \(reading 'x'\)\n\s+at /);
    } finally {
      stderr.mockRestore();
    }
  });
});
