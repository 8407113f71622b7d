/**
 * The Express app: `POST /chat`, `GET /chat/stream` (server-sent events), a page at `/` that uses
 * it, and from the ai-failover middleware the health routes and the OpenAI-compatible API.
 */
import type { AiFailoverConfig } from '@ai-failover/core';
import { chatRequest, PAGE_HTML, readMessage, sendChatStream, summarize } from '@ai-failover/example-shared';
import { type AiFailoverMiddleware, aiFailover, aiFailoverErrorHandler } from '@ai-failover/express';
import express, { type Express, type Request, type RequestHandler, type Response } from 'express';

export interface ExampleApp {
  app: Express;
  /** The middleware; `ai.client` is the client (events, health), `ai.close()` closes it. */
  ai: AiFailoverMiddleware;
}

/**
 * Builds the app (on Express 5, or on the `express` module given: it runs on Express 4 too). The
 * middleware owns the client it builds from `config` and closes it with the server.
 */
export function createApp(config: AiFailoverConfig, framework: typeof express = express): ExampleApp {
  const app = framework();

  // req.ai, GET /health, /health/live, /health/ready (details for holders of the token), and
  // /v1/chat/completions, /v1/models... Mounted before the body parser: the OpenAI-compatible
  // routes read their own bodies, up to their `bodyLimit`, and answer a bad one in OpenAI's shape.
  const authorize = (req: express.Request) =>
    req.headers.authorization === `Bearer ${process.env.APP_TOKEN ?? 'dev-token'}`;
  const ai = aiFailover(config, { openai: { authorize }, health: { authorize } });
  app.use(ai);
  app.use(framework.json({ limit: '16kb' }));

  app.get('/', (_req, res) => {
    res.type('html').send(PAGE_HTML);
  });

  app.post(
    '/chat',
    route(async (req, res) => {
      const input = readMessage((req.body as { message?: unknown } | undefined)?.message);
      if ('error' in input) {
        res.status(400).json({ error: { code: 'INVALID_MESSAGE', message: input.error } });
        return;
      }
      // Fails over between the deployments of group `chat`; rejects with a typed error
      // (503 when none could answer) that aiFailoverErrorHandler() turns into JSON.
      const { response, report } = await req.ai.chat(chatRequest(input.message), { model: 'chat' });
      const { deployment, attempts, failovers, latencyMs, costUsd } = summarize(report);
      res.json({
        answer: response.choices[0]?.message.content ?? '',
        deployment,
        attempts,
        failovers,
        latencyMs,
        costUsd,
      });
    }),
  );

  app.get(
    '/chat/stream',
    route(async (req, res) => {
      const input = readMessage(req.query.message);
      if ('error' in input) {
        res.status(400).json({ error: { code: 'INVALID_MESSAGE', message: input.error } });
        return;
      }
      // Resolves once a deployment has sent the first piece of text: every failover happens
      // before it, so a failure here is still an ordinary JSON error response.
      const stream = await req.ai.chatStream(chatRequest(input.message), { model: 'chat' });
      await sendChatStream(stream, res);
    }),
  );

  // Typed errors (503 when no provider could answer...) and body parser errors, as JSON.
  app.use(aiFailoverErrorHandler());
  return { app, ai };
}

/** An async route that hands its errors to `next()`: Express 4 does not catch a rejected handler. */
function route(handler: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req, res, next) => {
    handler(req, res).catch(next);
  };
}
