import { fault, MockProvider } from '@ai-failover/testing';
import { AiClient, type AiFailoverConfig } from '.';
import { hello } from './__tests__/support';

let mocks: MockProvider[] = [];
let client: AiClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  await Promise.all(mocks.map((m) => m.close()));
  mocks = [];
});

/** Group `chat` over us-1, eu-1, us-2, eu-2 (in that order), each in its region; `eu` preferred unless told. */
async function start(config: Partial<AiFailoverConfig> = { region: 'eu' }): Promise<AiClient> {
  const names = ['us-1', 'eu-1', 'us-2', 'eu-2'];
  mocks = await Promise.all(names.map((name) => MockProvider.start({ name })));
  client = new AiClient({
    providers: mocks.map((m) => ({ id: m.name, baseUrl: m.baseUrl, region: m.name.slice(0, 2) })),
    models: {
      chat: {
        strategy: 'round-robin',
        deployments: names.map((name) => ({ provider: name, model: 'm' })),
      },
    },
    policy: { retries: 0 },
    ...config,
  });
  return client;
}

describe('regions', () => {
  test('with the preferred region up, no call crosses', async () => {
    const ai = await start();
    const served = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const { report } = await ai.chat(hello);
      served.add(report.deployment!);
      expect(report.region).toBe('eu');
      expect(report.crossedRegion).toBeUndefined();
      expect(report.attempts.map((a) => a.region)).toEqual(['eu']);
    }
    // The strategy still spreads calls over the region's deployments.
    expect(served).toEqual(new Set(['eu-1/m', 'eu-2/m']));
    expect(mocks[0]!.requests.length + mocks[2]!.requests.length).toBe(0);
  });

  test('with the preferred region down, calls cross and the report says so', async () => {
    const ai = await start();
    mocks[1]!.setDefault(fault.status(503));
    mocks[3]!.setDefault(fault.status(503));
    const { report } = await ai.chat(hello);
    expect(report.region).toBe('us');
    expect(report.crossedRegion).toBe(true);
    expect(report.attempts.map((a) => [a.region, a.outcome])).toEqual([
      ['eu', 'server_error'],
      ['eu', 'server_error'],
      ['us', 'success'],
    ]);
  });

  test('an unhealthy deployment of the preferred region goes behind the other regions', async () => {
    const ai = await start({ region: 'eu', health: { unhealthyAfter: 1 } });
    mocks[1]!.setDefault(fault.status(503));
    mocks[3]!.setDefault(fault.status(503));
    await ai.chat(hello);
    // Both eu deployments failed once: unhealthy, so the next call crosses without trying them.
    const { report } = await ai.chat(hello);
    expect(report.crossedRegion).toBe(true);
    expect(report.attempts.map((a) => [a.region, a.outcome])).toEqual([['us', 'success']]);
    expect(mocks[1]!.requests.length + mocks[3]!.requests.length).toBe(2);
  });

  test('a call may prefer another region than the client', async () => {
    const ai = await start();
    const { report } = await ai.chat(hello, { region: 'us' });
    expect(report.region).toBe('us');
    expect(report.crossedRegion).toBeUndefined();
  });

  test('without a preference nothing is reordered and nothing is said to cross', async () => {
    const ai = await start({});
    const regions = new Set<string | undefined>();
    for (let i = 0; i < 8; i++) {
      const { report } = await ai.chat(hello);
      regions.add(report.region);
      expect(report.crossedRegion).toBeUndefined();
    }
    expect(regions).toEqual(new Set(['us', 'eu']));
  });
});
