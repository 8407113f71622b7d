/** Express 4 or 5: `req.ai` in a route, the health routes and the OpenAI-compatible routes. */
import { aiFailover, aiFailoverErrorHandler } from '@ai-failover/express';
import { listen } from '@ai-failover/testing';
import express from 'express';
import { configFor, exercise, startMocks, TOKEN } from './check.js';

async function main(): Promise<void> {
  const mocks = await startMocks();
  const ai = aiFailover(configFor(mocks), {
    openai: { authorize: (req) => req.get('authorization') === `Bearer ${TOKEN}` },
  });
  const app = express();
  app.use(ai);
  // The promise's rejection goes to next(): Express 4 does not catch a rejected async handler.
  app.post('/ask', express.json(), (req, res, next) => {
    req.ai
      .chat({ messages: [{ role: 'user', content: String(req.body.q) }] })
      .then(({ response, report }) => {
        res.json({ answer: response.choices[0]?.message.content, servedBy: report.deployment });
      })
      .catch(next);
  });
  app.use(aiFailoverErrorHandler());
  const server = await listen(app);
  try {
    await exercise(server.base, mocks, `express ${process.env.SMOKE_LABEL ?? ''}`.trim());
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
