#!/usr/bin/env node
import { CLI_USAGE, failRateHandler, parseCliArgs } from './cli-options';
import { MockProvider } from './mock-provider';

async function main(argv: readonly string[]): Promise<void> {
  const options = parseCliArgs(argv);
  if (options.help) {
    process.stdout.write(`${CLI_USAGE}\n`);
    return;
  }
  const mock = await MockProvider.start(options.provider);
  if (options.failRate > 0) mock.handle(failRateHandler(options.failRate));
  process.stdout.write(`${mock.baseUrl}\n`);
  const stop = (): void => {
    mock.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${CLI_USAGE}\n`);
  process.exit(2);
});
