// A mock OpenAI upstream in its own process, so the benchmark's own process measures only the client side.
import { fault, MockProvider } from '@ai-failover/testing';

// The request log is bounded (maxRecords), so this process stays small for the whole benchmark.
const mock = await MockProvider.start({ name: 'upstream', maxRecords: 100 });
// `--hang`: accepts every request and never answers (a provider that hangs).
if (process.argv.includes('--hang')) mock.setDefault(fault.hang());
process.stdout.write(`${mock.baseUrl}\n`);
process.on('disconnect', () => mock.close().then(() => process.exit(0)));
