/**
 * One upstream response cannot exhaust memory: a stream or body far past a limit fails the attempt
 * as a bad response (the call fails over), the connection is dropped, and the process's resident
 * memory stays flat. Each test prints the peak RSS growth it saw.
 */
import { type FloodShape, fault } from '@ai-failover/testing';
import type { LimitsConfig } from '.';
import { type Harness, harness, hello } from './__tests__/support';

const MB = 1024 * 1024;
/** Far past every limit: a leak of this much would show. */
const FLOOD_BYTES = 256 * MB;
/** Growth of the resident set allowed while the flood runs (the limits are 1 MiB to 32 MiB). */
const BOUND_MB = 96;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Runs `work` while sampling the resident set every few ms; returns its result and the peak growth in MB. */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ value: T; peakMb: number }> {
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 2);
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, peakMb: Math.round(((peak - base) / MB) * 10) / 10 };
  } finally {
    clearInterval(timer);
  }
}

async function flooded(shape: FloodShape, limits?: LimitsConfig) {
  h = await harness(['a', 'b'], {
    policy: {
      retries: 0,
      stream: { firstTokenTimeoutMs: 60_000, headersTimeoutMs: 60_000 },
      deadlineMs: 120_000,
    },
    config: limits ? { limits } : {},
  });
  h.mocks[0]!.setDefault(fault.flood(shape, { bytes: FLOOD_BYTES }));
  return h;
}

describe('bounded memory against a flooding upstream', () => {
  test.each<[FloodShape, string]>([
    ['line', 'eventBytes'],
    ['event', 'eventBytes'],
    ['emptyEvents', 'preTokenBytes'],
  ])('a stream flooding with %s fails over at limits.%s, memory flat', async (shape, limit) => {
    const { client, mocks } = await flooded(shape);
    const { value: report, peakMb } = await withPeakRss(async () => {
      const stream = await client.chatStream(hello);
      for await (const _ of stream);
      return stream.done;
    });
    console.log(
      `stream flood "${shape}" (${FLOOD_BYTES / MB} MiB sent at most): peak RSS growth ${peakMb} MB`,
    );
    expect(report.deployment).toBe('b/b-model');
    expect(report.attempts[0]).toMatchObject({
      deployment: 'a/a-model',
      outcome: 'bad_response',
      decision: 'failover',
    });
    expect(report.attempts[0]!.error).toContain(`limits.${limit}`);
    expect(mocks[0]!.requests[0]).toMatchObject({ fault: 'flood', aborted: true });
    expect(peakMb).toBeLessThan(BOUND_MB);
  });

  test('an endless JSON body fails over at limits.responseBytes, memory flat', async () => {
    const { client, mocks } = await flooded('json');
    const { value: result, peakMb } = await withPeakRss(() => client.chat(hello));
    console.log(`JSON body flood (${FLOOD_BYTES / MB} MiB sent at most): peak RSS growth ${peakMb} MB`);
    expect(result.report.deployment).toBe('b/b-model');
    expect(result.report.attempts[0]).toMatchObject({ outcome: 'bad_response', decision: 'failover' });
    expect(result.report.attempts[0]!.error).toContain('limits.responseBytes');
    expect(mocks[0]!.requests[0]).toMatchObject({ fault: 'flood', aborted: true });
    expect(peakMb).toBeLessThan(BOUND_MB);
  });
});
