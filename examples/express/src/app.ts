/**
 * The Express app: `POST /chat`, `GET /chat/stream` (server-sent events), a page at `/` that uses
 * it, and from the ai-failover middleware the health routes and the OpenAI-compatible API.
 */
import type { AiFailoverConfig } from '@ai-failover/core';
import { chatRequest, PAGE_HTML, readMessage, sendChatStream, summarize } from '@ai-failover/example-shared';
import { type AiFailoverMiddleware, aiFailover, aiFailoverErrorHandler } from '@ai-failover/express';
import express, { type Express } from 'express';

export interface ExampleApp {
  app: Express;
  /** The middleware; `ai.client` is the client (events, health), `ai.close()` closes it. */
  ai: AiFailoverMiddleware;
}

/** Builds the app. The middleware owns the client it builds from `config` and closes it with the server. */
export function createApp(config: AiFailoverConfig): ExampleApp {
  const app = express();
  app.use(express.json({ limit: '16kb' }));

  // req.ai, GET /health, /health/live, /health/ready (details for holders of the token), and
  // /v1/chat/completions, /v1/models...
  const authorize = (req: express.Request) =>
    req.headers.authorization === `Bearer ${process.env.APP_TOKEN ?? 'dev-token'}`;
  const ai = aiFailover(config, { openai: { authorize }, health: { authorize } });
  app.use(ai);

  app.get('/', (_req, res) => {
    res.type('html').send(PAGE_HTML);
  });

  app.post('/chat', async (req, res) => {
    const input = readMessage((req.body as { message?: unknown } | undefined)?.message);
    if ('error' in input) {
      res.status(400).json({ error: { code: 'INVALID_MESSAGE', message: input.error } });
      return;
    }
    // Fails over between the deployments of group `chat`; rejects with a typed error
    // (503 when none could answer) that aiFailoverErrorHandler() turns into JSON.
    const { response, report } = await req.ai.chat(chatRequest(input.message), { model: 'chat' });
    const { servedBy, attempts, failovers, latencyMs, costUsd } = summarize(report);
    res.json({
      answer: response.choices[0]?.message.content ?? '',
      servedBy,
      attempts,
      failovers,
      latencyMs,
      costUsd,
    });
  });

  app.get('/chat/stream', async (req, res) => {
    const input = readMessage(req.query.message);
    if ('error' in input) {
      res.status(400).json({ error: { code: 'INVALID_MESSAGE', message: input.error } });
      return;
    }
    // Resolves once a deployment has sent the first piece of text: every failover happens
    // before it, so a failure here is still an ordinary JSON error response.
    const stream = await req.ai.chatStream(chatRequest(input.message), { model: 'chat' });
    await sendChatStream(stream, res);
  });

  app.use(aiFailoverErrorHandler());
  return { app, ai };
}
