import { describe, expect, it } from 'vitest';
import { TallyApiError, TallyClient } from '../../packages/sdk/src/index.js';

// The retry policy against scripted answers (the server-side behaviour is covered in client.test.ts).
const errorBody = (status: number, type: string, code: string) =>
  new Response(JSON.stringify({ error: { type, code, message: code, param: null, request_id: 'req_x' } }), { status, headers: { 'content-type': 'application/json' } });

function scripted(answers: (() => Response)[]) {
  const keys: (string | undefined)[] = [];
  const fetch = async (_url: string | URL | Request, init?: RequestInit) => {
    keys.push((init?.headers as Record<string, string>)['idempotency-key']);
    const next = answers.shift();
    if (!next) throw new Error('no more answers');
    return next();
  };
  const client = new TallyClient({ baseUrl: 'http://tally.test', apiKey: 'tally_ik_test', fetch: fetch as typeof globalThis.fetch, retryBaseDelayMs: 1, maxRetries: 3 });
  return { client, keys, left: () => answers.length };
}

const ok = () => new Response(JSON.stringify({ customer: 'cus_1', free_trial_until: null }), { status: 200 });

describe('SDK retry policy', () => {
  it('retries 5xx and an in-progress duplicate with the same Idempotency-Key', async () => {
    const s = scripted([() => errorBody(500, 'internal', 'internal_error'), () => errorBody(409, 'conflict', 'idempotency_request_in_progress'), ok]);
    expect(await s.client.trials.cancel('cus_1')).toEqual({ customer: 'cus_1', free_trial_until: null });
    expect(s.keys).toHaveLength(3);
    expect(new Set(s.keys).size).toBe(1);
  });

  it('does not retry client errors, other conflicts, or a 429 without Retry-After', async () => {
    for (const [status, type, code] of [
      [400, 'invalid_request', 'parameter_invalid'],
      [409, 'conflict', 'customer_has_coupon'],
      [429, 'rate_limited', 'rate_limited'],
    ] as const) {
      const s = scripted([() => errorBody(status, type, code), ok]);
      const e = (await s.client.coupons.redeem('cus_1', 'CODE').catch((x: unknown) => x)) as TallyApiError;
      expect(e).toBeInstanceOf(TallyApiError);
      expect(e).toMatchObject({ status, type, code });
      expect(s.left()).toBe(1);
    }
  });

  it('retries a 429 that says when (Retry-After), and gives up after maxRetries with the last error', async () => {
    const limited = () => new Response(JSON.stringify({ error: { type: 'rate_limited', code: 'rate_limited', message: 'slow down', param: null, request_id: 'req_y' } }), { status: 429, headers: { 'retry-after': '0' } });
    const s = scripted([limited, ok]);
    expect((await s.client.trials.cancel('cus_1')).customer).toBe('cus_1');
    const down = scripted([1, 2, 3, 4].map(() => () => errorBody(503, 'unavailable', 'database_unavailable')));
    const e = (await down.client.trials.cancel('cus_1').catch((x: unknown) => x)) as TallyApiError;
    expect(e).toMatchObject({ status: 503, code: 'database_unavailable', requestId: 'req_x', retryable: true });
    expect(down.keys).toHaveLength(4);
  });

  it('describes a non-Tally error page instead of failing to parse it', async () => {
    const s = scripted([() => new Response('<html>Bad gateway</html>', { status: 404 })]);
    const e = (await s.client.customers.get('cus_1').catch((x: unknown) => x)) as TallyApiError;
    expect(e).toMatchObject({ status: 404, code: 'unexpected_response' });
    expect(e.message).toContain('Bad gateway');
  });
});
