import { sampleLatency } from './latency';

describe('sampleLatency', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('returns fixed values, and 0 for nothing or negatives', () => {
    expect(sampleLatency(undefined)).toBe(0);
    expect(sampleLatency(25)).toBe(25);
    expect(sampleLatency(-5)).toBe(0);
  });

  it('draws uniformly between min and max', () => {
    const random = jest.spyOn(Math, 'random');
    random.mockReturnValueOnce(0).mockReturnValueOnce(0.5).mockReturnValueOnce(0.999);
    const samples = [1, 2, 3].map(() => sampleLatency({ min: 10, max: 20 }));
    expect(samples[0]).toBe(10);
    expect(samples[1]).toBe(15);
    expect(samples[2]).toBeCloseTo(19.99, 6);
  });

  it('draws from a normal distribution clamped at 0', () => {
    const samples = Array.from({ length: 2000 }, () => sampleLatency({ mean: 100, stddev: 10 }));
    const mean = samples.reduce((sum, v) => sum + v, 0) / samples.length;
    expect(mean).toBeGreaterThan(97);
    expect(mean).toBeLessThan(103);
    const clamped = Array.from({ length: 200 }, () => sampleLatency({ mean: 0, stddev: 50 }));
    expect(Math.min(...clamped)).toBe(0);
  });
});
