import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

// The README's demo command runs the built demo (`pnpm demo` builds first; so does `pnpm test`).
test('the offline demo runs, fails over through the outage, and ends with its summary', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [join(__dirname, '../dist/demo.js')], {
    env: { ...process.env, DEMO_DURATION_MS: '4000' },
    timeout: 30_000,
  });
  expect(stdout).toMatch(/breaker OPEN +primary\/gpt-4\.1/);
  const summary = stdout.slice(stdout.indexOf('Summary'));
  expect(summary).toMatch(/failed +0\n/);
  expect(summary).toMatch(/successes +\d+ \(100\.0%\)/);
  expect(Number(/failovers +(\d+)/.exec(summary)?.[1])).toBeGreaterThan(0);
  expect(summary).toMatch(/served by +primary\/gpt-4\.1: \d+, secondary\/gpt-4\.1: \d+/);
});
