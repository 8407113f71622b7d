/** Koa 2 or 3: `ctx.ai` in a middleware, the health routes and the OpenAI-compatible routes. */
import { aiFailover, aiFailoverErrorHandler } from '@ai-failover/koa';
import { listen } from '@ai-failover/testing';
import Koa from 'koa';
import { configFor, exercise, startMocks, TOKEN } from './check.js';

async function main(): Promise<void> {
  const mocks = await startMocks();
  const ai = aiFailover(configFor(mocks), {
    openai: { authorize: (ctx) => ctx.get('authorization') === `Bearer ${TOKEN}` },
  });
  const app = new Koa();
  app.use(aiFailoverErrorHandler());
  app.use(ai);
  app.use(async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== '/ask') return next();
    const { response, report } = await ctx.ai.chat({ messages: [{ role: 'user', content: 'hello' }] });
    ctx.body = { answer: response.choices[0]?.message.content, servedBy: report.deployment };
  });
  const server = await listen(app.callback());
  try {
    await exercise(server.base, mocks, `koa ${process.env.SMOKE_LABEL ?? ''}`.trim());
  } finally {
    await server.close();
    await ai.close();
    await mocks.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
