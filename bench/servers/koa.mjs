// Koa 3. `bare`: a middleware forwarding with undici (Koa has no router of its own: this is its
// floor). `routes`: `app.use(aiFailover(...))` serving `/v1`. `fast`: the same with `fastPath: true`.
import http from 'node:http';
import { aiFailover } from '@ai-failover/koa';
import Koa from 'koa';
import { announce, config, forward, mode, openai, readBody } from './common.mjs';

const app = new Koa();
let close = async () => {};
if (mode === 'bare') {
  app.use(async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== '/v1/chat/completions') return next();
    ctx.respond = false;
    await forward(await readBody(ctx.req), ctx.res);
  });
} else {
  const middleware = aiFailover(config, mode === 'fast' ? { openai, fastPath: true } : { openai });
  close = () => middleware.close();
  app.use(middleware);
}
const server = http.createServer(app.callback());
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => announce(server, close));
