import { MAX_COMPARED_CHARS, textSimilarity } from './similarity';

describe('textSimilarity', () => {
  test('the same words score 1 whatever the case and punctuation', () => {
    expect(textSimilarity('Hello, world!', 'hello world')).toBe(1);
    expect(textSimilarity('', '')).toBe(1);
  });

  test('nothing in common scores 0; an empty answer against a real one too', () => {
    expect(textSimilarity('red green', 'blue yellow')).toBe(0);
    expect(textSimilarity('', 'something')).toBe(0);
  });

  test('partial overlap scores between', () => {
    // {the:1, cat:1, sat:1} vs {the:1, cat:1, ran:1}: 2 / 3
    expect(textSimilarity('the cat sat', 'the cat ran')).toBe(0.667);
    expect(textSimilarity('Paris is the capital of France', 'The capital of France is Paris.')).toBe(1);
  });

  test('letters beyond ASCII are words too', () => {
    expect(textSimilarity('Grüße aus Köln', 'grüße aus köln')).toBe(1);
    expect(textSimilarity('東京 大阪', '東京')).toBeGreaterThan(0);
  });

  test('only the first 16 KB are compared', () => {
    const head = 'alpha '.repeat(MAX_COMPARED_CHARS / 6 + 1);
    expect(textSimilarity(`${head} beta`, `${head} gamma`)).toBe(1);
  });
});
