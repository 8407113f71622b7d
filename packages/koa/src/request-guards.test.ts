import { aiFailover } from '@ai-failover/koa';
import { type Listening, listen } from '@ai-failover/testing';
import { providers } from '@ai-failover/testing/support';
import Koa from 'koa';
import Koa2 from 'koa2';
import { describeRequestGuards } from '../../express/src/__tests__/request-guards';

/** A stand-in for a Koa body parser with its default types: JSON, urlencoded forms and text, into `ctx.request.body`. */
const bodyParser: Koa.Middleware = async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.is('json', 'urlencoded', 'text')) {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = ctx.is('json')
      ? JSON.parse(text)
      : ctx.is('urlencoded')
        ? Object.fromEntries(new URLSearchParams(text))
        : text;
    (ctx.request as { body?: unknown }).body = body;
  }
  await next();
};

describe.each([
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
] as const)('%s: request guards of the OpenAI routes', (_name, KoaApp) => {
  let env: Awaited<ReturnType<typeof providers>> | undefined;
  let app: Listening | undefined;
  afterEach(async () => {
    await app?.close();
    await env?.close();
    app = env = undefined;
  });

  describe.each([
    ['reading bodies itself', false],
    ['after a body parser (JSON, urlencoded, text)', true],
  ] as const)('%s', (_how, parsers) => {
    describeRequestGuards({
      readsBody: !parsers,
      async start(openai) {
        env = await providers();
        const web = new KoaApp();
        if (parsers) web.use(bodyParser as never);
        web.use(aiFailover(env.config(), { openai: { authorize: () => true, ...openai } }) as never);
        app = await listen(web.callback());
        const mocks = env.mocks;
        return { base: app.base, upstreamCalls: () => mocks.reduce((n, m) => n + m.requests.length, 0) };
      },
    });
  });
});
