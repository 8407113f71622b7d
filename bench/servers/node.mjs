// Servers on `node:http` without a framework. `bare`: a pass-through proxy (the floor of any proxy
// written in Node). `routes`: ai-failover's OpenAI-compatible routes from `createAiHttpHandler`.
import http from 'node:http';
import { createAiHttpHandler } from '@ai-failover/core/http';
import { announce, config, forward, mode, openai, readBody } from './common.mjs';

let handle;
let close = async () => {};
if (mode === 'bare') {
  handle = async (req, res) => forward(await readBody(req), res);
} else {
  const ai = createAiHttpHandler({ client: config, openai });
  close = () => ai.close();
  handle = async (req, res) => {
    if (!(await ai.handle(req, res))) {
      res.writeHead(404);
      res.end();
    }
  };
}
const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    process.stderr.write(`${error.stack}\n`);
    res.destroy();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => announce(server, close));
