/**
 * The Koa app: `POST /chat`, `GET /chat/stream` (server-sent events), a page at `/` that uses
 * it, and from the ai-failover middleware the health routes and the OpenAI-compatible API.
 */
import { type AiFailoverConfig } from '@ai-failover/core';
import { HttpProblem, readJsonBody } from '@ai-failover/core/http';
import { chatRequest, PAGE_HTML, readMessage, sendChatStream, summarize } from '@ai-failover/example-shared';
import { type AiFailoverKoaMiddleware, aiFailover, aiFailoverErrorHandler } from '@ai-failover/koa';
import Koa, { type Context, type ParameterizedContext } from 'koa';

/** The largest JSON body `POST /chat` reads. */
export const BODY_LIMIT = 16 * 1024;

export interface ExampleApp {
  app: Koa;
  /** The middleware; `ai.client` is the client (events, health), `ai.close()` closes it. */
  ai: AiFailoverKoaMiddleware;
}

type Route = (ctx: Context) => Promise<void>;

/** Builds the app. The middleware owns the client it builds from `config` and closes it with the server. */
export function createApp(config: AiFailoverConfig): ExampleApp {
  const app = new Koa();

  // Turns the typed errors of ctx.ai calls (503 when no provider could answer...) into JSON.
  app.use(aiFailoverErrorHandler());

  // ctx.ai, GET /health, /health/live, /health/ready (details for holders of the token), and
  // /v1/chat/completions, /v1/models...
  const authorize = (ctx: ParameterizedContext) =>
    ctx.headers.authorization === `Bearer ${process.env.APP_TOKEN ?? 'dev-token'}`;
  const ai = aiFailover(config, { openai: { authorize }, health: { authorize } });
  app.use(ai);

  const routes: Record<string, Route> = {
    'GET /': async (ctx) => {
      ctx.type = 'html';
      ctx.body = PAGE_HTML;
    },

    'POST /chat': async (ctx) => {
      const body = await readJson(ctx, BODY_LIMIT);
      const input = readMessage((body as { message?: unknown } | null)?.message);
      if ('error' in input) {
        ctx.status = 400;
        ctx.body = { error: { code: 'INVALID_MESSAGE', message: input.error } };
        return;
      }
      const { response, report } = await ctx.ai.chat(chatRequest(input.message), { model: 'chat' });
      const { deployment, attempts, costUsd } = summarize(report);
      ctx.body = { answer: response.choices[0]?.message.content ?? '', deployment, attempts, costUsd };
    },

    'GET /chat/stream': async (ctx) => {
      const input = readMessage(ctx.query.message);
      if ('error' in input) {
        ctx.status = 400;
        ctx.body = { error: { code: 'INVALID_MESSAGE', message: input.error } };
        return;
      }
      // Resolves once a deployment has sent the first piece of text: every failover happens
      // before it, so a failure here is still an ordinary JSON error response.
      const stream = await ctx.ai.chatStream(chatRequest(input.message), { model: 'chat' });
      ctx.respond = false;
      await sendChatStream(stream, ctx.res);
    },
  };

  app.use(async (ctx, next) => {
    const route = routes[`${ctx.method} ${ctx.path}`];
    if (route) await route(ctx);
    else await next();
  });

  return { app, ai };
}

/**
 * Reads a JSON request body of at most `limit` bytes straight from the Node request (there is no
 * body parser here) with the core's reader. Answers 415 for another content type, 413 above the
 * limit, 400 for bad JSON.
 */
export async function readJson(ctx: Context, limit: number): Promise<unknown> {
  if (!ctx.is('application/json')) ctx.throw(415, 'Send the body as application/json');
  try {
    return await readJsonBody(ctx.req, limit, undefined);
  } catch (error) {
    if (!(error instanceof HttpProblem)) throw error;
    if (error.status === 413) ctx.set('connection', 'close');
    return ctx.throw(error.status, error.message);
  }
}
