import { parseArgs } from 'node:util';
import { fault } from './faults';
import type { FaultHandler, MockProviderOptions } from './types';

/** What the `ai-failover-mock` command line asks for. */
export interface CliOptions {
  provider: MockProviderOptions;
  /** Share of requests answered with a 503, between 0 and 1. */
  failRate: number;
  help: boolean;
}

/** Usage text of `ai-failover-mock`. */
export const CLI_USAGE = `Usage: ai-failover-mock [options]

Starts a fake OpenAI API and prints its base URL.

Options:
  --port <n>          port to listen on (default: an ephemeral port)
  --host <addr>       interface to bind (default: 127.0.0.1)
  --name <name>       provider name (default: mock)
  --fail-rate <0..1>  share of requests answered with a 503 (default: 0)
  --latency <ms>      delay before every response (default: 0)
  --chunk-delay <ms>  delay between stream chunks (default: 0)
  --content <text>    reply text (default: "Hello from <name>")
  --models <a,b>      models listed by GET /v1/models (default: mock-model)
  --api-key <key>     accepted API key; repeat for several (default: any key)
  -h, --help          show this help`;

function toNumber(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw new Error(`--${flag} must be a number between ${min} and ${max}, got "${value}"`);
  }
  return parsed;
}

/** Parses the arguments of `ai-failover-mock`; throws on unknown or invalid ones. */
export function parseCliArgs(argv: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      name: { type: 'string' },
      'fail-rate': { type: 'string' },
      latency: { type: 'string' },
      'chunk-delay': { type: 'string' },
      content: { type: 'string' },
      models: { type: 'string' },
      'api-key': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const provider: MockProviderOptions = {
    name: values.name,
    host: values.host,
    port: toNumber('port', values.port, 0, 65535),
    latencyMs: toNumber('latency', values.latency, 0, Number.MAX_SAFE_INTEGER),
    chunkDelayMs: toNumber('chunk-delay', values['chunk-delay'], 0, Number.MAX_SAFE_INTEGER),
    content: values.content,
    models: values.models
      ?.split(',')
      .map((model) => model.trim())
      .filter(Boolean),
    apiKeys: values['api-key'],
  };
  return {
    provider,
    failRate: toNumber('fail-rate', values['fail-rate'], 0, 1) ?? 0,
    help: values.help ?? false,
  };
}

/** A handler answering a share `rate` of requests with a 503. */
export function failRateHandler(rate: number, random: () => number = Math.random): FaultHandler {
  return () => (random() < rate ? fault.status(503) : undefined);
}
