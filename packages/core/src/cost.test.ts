import { fault } from '@ai-failover/testing';
import type { RequestReport, Usage } from '.';
import { type Harness, harness, hello } from './__tests__/support';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** USD at a price given per million tokens. */
const usd = (usage: Usage, input: number, output: number) =>
  (usage.prompt_tokens * input + usage.completion_tokens * output) / 1_000_000;

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _chunk of stream) {
    // the report is what is checked
  }
}

describe('cost', () => {
  test('a chat costs its tokens at the deployment price', async () => {
    h = await harness(['a']);
    h.mocks[0]!.script(fault.ok({ usage: { prompt_tokens: 1200, completion_tokens: 345 } }));
    const { response, report } = await h.client.chat(hello);
    expect(report.usage).toEqual(response.usage);
    expect(report.usage).toMatchObject({ prompt_tokens: 1200, completion_tokens: 345 });
    expect(report.costUsd).toBeCloseTo((1200 * 1 + 345 * 2) / 1_000_000, 15);
  });

  test('a stream costs the usage of its last chunk, whether or not the caller asked for it', async () => {
    h = await harness(['a']);
    h.mocks[0]!.script(fault.ok({ usage: { prompt_tokens: 800, completion_tokens: 5 } }), fault.ok());
    const plain = await h.client.chatStream(hello);
    await drain(plain);
    const first = await plain.done;
    expect(first.usage).toMatchObject({ prompt_tokens: 800, completion_tokens: 5 });
    expect(first.costUsd).toBeCloseTo(usd(first.usage!, 1, 2), 15);

    const asked = await h.client.chatStream({ ...hello, stream_options: { include_usage: true } });
    await drain(asked);
    const second = await asked.done;
    // The mock's own counts: ceil(11 chars / 4) prompt tokens, one per word of "Hello from a".
    expect(second.usage).toEqual({ prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 });
    expect(second.costUsd).toBeCloseTo(usd(second.usage!, 1, 2), 15);
  });

  test('usage() totals per model group and deployment are the sums of the reports', async () => {
    h = await harness(['a', 'b'], {
      policy: { retries: 0 },
      group: {
        deployments: [{ provider: 'a', model: 'a-model', price: { input: 1, output: 2 } }],
        fallbacks: ['cheap'],
      },
      extraModels: {
        cheap: { deployments: [{ provider: 'b', model: 'b-cheap', price: { input: 0.5, output: 1.5 } }] },
      },
    });
    const [a, b] = h.mocks as [NonNullable<Harness['mocks'][0]>, NonNullable<Harness['mocks'][0]>];
    const reports: RequestReport[] = [];

    a.script(fault.ok({ usage: { prompt_tokens: 100, completion_tokens: 10 } }));
    reports.push((await h.client.chat(hello)).report);
    a.script(fault.status(503));
    b.script(fault.ok({ usage: { prompt_tokens: 200, completion_tokens: 20 } }));
    reports.push((await h.client.chat(hello)).report);
    a.script(fault.ok({ usage: { prompt_tokens: 300, completion_tokens: 30 } }));
    const stream = await h.client.chatStream(hello);
    await drain(stream);
    reports.push(await stream.done);
    b.script(fault.ok({ usage: { prompt_tokens: 400, completion_tokens: 40 } }));
    reports.push((await h.client.chat(hello, { model: 'cheap' })).report);
    a.script(fault.badRequest());
    await expect(h.client.chat(hello)).rejects.toMatchObject({ code: 'AI_UPSTREAM_ERROR' });

    expect(reports.map((r) => [r.servedBy, r.deployment])).toEqual([
      ['chat', 'a/a-model'],
      ['cheap', 'b/b-cheap'],
      ['chat', 'a/a-model'],
      ['cheap', 'b/b-cheap'],
    ]);
    expect(reports.map((r) => r.costUsd)).toEqual([
      usd(reports[0]!.usage!, 1, 2),
      usd(reports[1]!.usage!, 0.5, 1.5),
      usd(reports[2]!.usage!, 1, 2),
      usd(reports[3]!.usage!, 0.5, 1.5),
    ]);

    const totals = (of: RequestReport[]) => ({
      requests: of.length,
      promptTokens: of.reduce((sum, r) => sum + r.usage!.prompt_tokens, 0),
      completionTokens: of.reduce((sum, r) => sum + r.usage!.completion_tokens, 0),
      costUsd: expect.closeTo(
        of.reduce((sum, r) => sum + r.costUsd!, 0),
        15,
      ),
    });
    const viaA = reports.filter((r) => r.deployment === 'a/a-model');
    const viaB = reports.filter((r) => r.deployment === 'b/b-cheap');
    const usage = h.client.usage();
    expect(usage.total).toEqual(totals(reports));
    // By the group that served: a fallback's request counts for the fallback group.
    expect(usage.byModel).toEqual({ chat: totals(viaA), cheap: totals(viaB) });
    expect(usage.byDeployment).toEqual({ 'a/a-model': totals(viaA), 'b/b-cheap': totals(viaB) });
    expect(usage.total.promptTokens).toBe(1000);
    expect(usage.total.completionTokens).toBe(100);
    expect(usage.total.costUsd).toBeCloseTo(
      (100 + 300) * 1e-6 + (10 + 30) * 2e-6 + (200 + 400) * 0.5e-6 + (20 + 40) * 1.5e-6,
      15,
    );
  });
});
