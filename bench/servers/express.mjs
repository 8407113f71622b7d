// Express 5. `bare`: the app's own route forwarding with undici (the framework's floor).
// `routes`: `app.use(aiFailover(...))` serving `/v1`. `fast`: the same with `fastPath: true`.
import http from 'node:http';
import { aiFailover } from '@ai-failover/express';
import express from 'express';
import { announce, config, forward, mode, openai, readBody } from './common.mjs';

const app = express();
app.disable('x-powered-by');
let close = async () => {};
if (mode === 'bare') {
  app.post('/v1/chat/completions', (req, res, next) => {
    readBody(req)
      .then((body) => forward(body, res))
      .catch(next);
  });
} else {
  const middleware = aiFailover(config, mode === 'fast' ? { openai, fastPath: true } : { openai });
  close = () => middleware.close();
  app.use(middleware);
}
const server = http.createServer(app);
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => announce(server, close));
