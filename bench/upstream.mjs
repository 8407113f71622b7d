// A mock OpenAI upstream in its own process, so the benchmark's own process measures only the client side.
import { MockProvider } from '@ai-failover/testing';

const mock = await MockProvider.start({ name: 'upstream' });
// Drop the request log now and then: this process runs for the whole benchmark.
setInterval(() => mock.reset(), 1000).unref();
process.stdout.write(`${mock.baseUrl}\n`);
process.on('disconnect', () => mock.close().then(() => process.exit(0)));
