// The Portkey gateway (`@portkey-ai/gateway`, pinned in bench/package.json) in its own process, as
// its `start:node` script runs it, in production mode and headless, confined to 127.0.0.1. Prints
// its URL once it answers. Requests name the upstream with `x-portkey-provider: openai` and
// `x-portkey-custom-host: <mock>/v1`.
import { createRequire } from 'node:module';
import net from 'node:net';
import './loopback-only.mjs';

const port = Number(process.argv[2]);
process.env.NODE_ENV = 'production';
process.argv = [process.argv[0], 'start-server.js', `--port=${port}`, '--headless'];
// The gateway clears the console and prints a banner: keep this process's stdout for its URL.
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = () => true;
console.clear = () => {};
console.log = () => {};
const require = createRequire(import.meta.url);
const entry = require
  .resolve('@portkey-ai/gateway/package.json')
  .replace(/package\.json$/, 'build/start-server.js');
import(entry).catch((error) => {
  process.stderr.write(`portkey gateway failed to start: ${error.stack ?? error}\n`);
  process.exit(1);
});
// Ready once the port takes connections.
for (let i = 0; i < 200; i++) {
  const ok = await new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
  if (ok) break;
  await new Promise((r) => setTimeout(r, 50));
}
write(`http://127.0.0.1:${port}\n`);
process.on('message', (message) => {
  if (message === 'cpu') process.send({ cpu: process.cpuUsage() });
});
process.on('disconnect', () => process.exit(0));
