import { chatBody, postJson } from './__tests__/client';
import { failRateHandler, parseCliArgs } from './cli-options';
import { MockProvider } from './mock-provider';

describe('ai-failover-mock options', () => {
  it('parses the flags into provider options', () => {
    const options = parseCliArgs([
      '--port',
      '8123',
      '--name',
      'dev',
      '--fail-rate',
      '0.2',
      '--latency',
      '50',
      '--models',
      'a, b',
      '--api-key',
      'k1',
      '--api-key',
      'k2',
    ]);
    expect(options).toEqual({
      failRate: 0.2,
      help: false,
      provider: expect.objectContaining({
        port: 8123,
        name: 'dev',
        latencyMs: 50,
        models: ['a', 'b'],
        apiKeys: ['k1', 'k2'],
      }),
    });
    expect(parseCliArgs([])).toMatchObject({ failRate: 0, help: false, provider: { port: undefined } });
    expect(parseCliArgs(['-h']).help).toBe(true);
  });

  it('rejects invalid values and unknown flags', () => {
    expect(() => parseCliArgs(['--fail-rate', '1.5'])).toThrow(
      /--fail-rate must be a number between 0 and 1/,
    );
    expect(() => parseCliArgs(['--port', 'abc'])).toThrow(/--port/);
    expect(() => parseCliArgs(['--nope'])).toThrow();
  });

  it('fails the given share of requests with a 503', async () => {
    const values = [0.1, 0.9, 0.1, 0.5];
    const mock = await MockProvider.start();
    try {
      mock.handle(failRateHandler(0.3, () => values.shift() ?? 1));
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await postJson(`${mock.baseUrl}/chat/completions`, chatBody())).status);
      expect(statuses).toEqual([503, 200, 503, 200, 200]);
    } finally {
      await mock.close();
    }
  });
});
