/**
 * The Koa app: `POST /chat`, `GET /chat/stream` (server-sent events), a page at `/` that uses
 * it, and from the ai-failover middleware the health routes and the OpenAI-compatible API.
 */
import type { IncomingMessage } from 'node:http';
import type { AiFailoverConfig } from '@ai-failover/core';
import { chatRequest, PAGE_HTML, readMessage, sendChatStream, summarize } from '@ai-failover/example-shared';
import { type AiFailoverKoaMiddleware, aiFailover, aiFailoverErrors } from '@ai-failover/koa';
import Koa, { type Context } from 'koa';

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
  app.use(aiFailoverErrors());

  // ctx.ai, GET /health, /health/live, /health/ready, and /v1/chat/completions, /v1/models...
  const ai = aiFailover(config, {
    openai: {
      authorize: (ctx) => ctx.headers.authorization === `Bearer ${process.env.APP_TOKEN ?? 'dev-token'}`,
    },
  });
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
      const { servedBy, attempts, costUsd } = summarize(report);
      ctx.body = { answer: response.choices[0]?.message.content ?? '', servedBy, attempts, costUsd };
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
 * body parser here). Answers 415 for another content type, 413 above the limit, 400 for bad JSON.
 */
export async function readJson(ctx: Context, limit: number): Promise<unknown> {
  if (!ctx.is('application/json')) ctx.throw(415, 'Send the body as application/json');
  const declared = Number(ctx.get('content-length'));
  const text = declared > limit ? undefined : await readText(ctx.req, limit);
  if (text === undefined) {
    // The rest of the body is not read: close the connection once the 413 is sent.
    ctx.set('connection', 'close');
    ctx.throw(413, `The body must be at most ${limit} bytes`);
  }
  try {
    return JSON.parse(text);
  } catch {
    ctx.throw(400, 'The body is not valid JSON');
  }
}

/** The body as text, or `undefined` as soon as it grows past `limit`. */
function readText(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stop();
        resolve(undefined);
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size).toString('utf8'));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    const onClose = () => {
      stop();
      reject(new Error('The client closed the connection before sending its whole body'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
