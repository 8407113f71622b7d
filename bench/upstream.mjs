// The mock OpenAI upstream in its own process, so the benchmark's processes measure only their own
// side. Answers at once (no added latency); a streamed answer is one event per word of `content`.
import { fault, MockProvider } from '@ai-failover/testing';

const content =
  'Hello from the upstream: a short answer of about twenty words, streamed one word at a time as providers do.';
// The request log is bounded (maxRecords), so this process stays small for the whole benchmark.
const mock = await MockProvider.start({ name: 'upstream', maxRecords: 100, content });
// `--hang`: accepts every request and never answers (a provider that hangs).
if (process.argv.includes('--hang')) mock.setDefault(fault.hang());
process.stdout.write(`${mock.baseUrl}\n`);
process.on('message', (message) => {
  if (message === 'cpu') process.send({ cpu: process.cpuUsage() });
});
process.on('disconnect', () => mock.close().then(() => process.exit(0)));
