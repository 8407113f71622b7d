import { fault, MockProvider } from '@ai-failover/testing';
import { AiClient, type AiFailoverConfig, ConfigError } from '.';
import { hello } from './__tests__/support';

let mocks: MockProvider[] = [];
let client: AiClient | undefined;
const saved = { ...process.env };
afterEach(async () => {
  process.env = { ...saved };
  await client?.close();
  client = undefined;
  await Promise.all(mocks.map((m) => m.close()));
  mocks = [];
});

async function config(): Promise<AiFailoverConfig> {
  mocks = await Promise.all(['primary', 'secondary'].map((name) => MockProvider.start({ name })));
  return {
    providers: mocks.map((m) => ({ id: m.name, baseUrl: m.baseUrl })),
    models: { chat: { deployments: mocks.map((m) => ({ provider: m.name, model: 'm' })) } },
    policy: { retries: 3, breaker: { consecutiveFailures: 10, resetTimeoutMs: 1000 } },
    fromEnv: true,
  };
}

describe('settings from the environment, over real HTTP', () => {
  test('MAX_RETRIES, FAILURE_THRESHOLD, RECOVERY_TIMEOUT and RATE_LIMIT_PER_MINUTE change what the client does', async () => {
    Object.assign(process.env, {
      AI_FAILOVER_MAX_RETRIES: '0',
      AI_FAILOVER_FAILURE_THRESHOLD: '2',
      AI_FAILOVER_RECOVERY_TIMEOUT: '5m',
      AI_FAILOVER_RATE_LIMIT_PER_MINUTE: '4',
    });
    client = new AiClient(await config());
    expect(client.config.policy.breaker.resetTimeoutMs).toBe(300_000);
    mocks[0]!.setDefault(fault.status(503));
    // No retry in place (the config said 3): one attempt on the primary, then the secondary.
    const { report } = await client.chat(hello);
    expect(report.attempts.map((a) => [a.deployment, a.decision])).toEqual([
      ['primary/m', 'failover'],
      ['secondary/m', 'done'],
    ]);
    // The second failure in a row opens the breaker (the config said 10), for 5 minutes.
    await client.chat(hello);
    const primary = () => client!.health().deployments.find((d) => d.id === 'primary/m')!;
    expect(primary().breaker).toBe('open');
    expect(Date.parse(primary().availableAt!) - Date.now()).toBeGreaterThan(290_000);
    // 4 requests a minute per provider: the secondary has taken 2, so 2 more, then none (and the
    // primary's breaker is open: nothing can serve).
    await client.chat(hello);
    await client.chat(hello);
    await expect(client.chat(hello)).rejects.toMatchObject({ code: 'AI_ALL_ATTEMPTS_FAILED' });
    expect(mocks[1]!.requests).toHaveLength(4);
    expect(mocks[0]!.requests).toHaveLength(2);
  });

  test('a bad value fails at start with a ConfigError naming the variable', async () => {
    process.env.AI_FAILOVER_RECOVERY_TIMEOUT = 'half a minute';
    const given = await config();
    expect(() => new AiClient(given)).toThrow(ConfigError);
    expect(() => new AiClient(given)).toThrow(/AI_FAILOVER_RECOVERY_TIMEOUT: must be a duration/);
  });
});
