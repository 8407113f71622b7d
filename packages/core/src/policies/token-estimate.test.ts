import { CHARS_PER_TOKEN, estimateTokens, MAX_TOKENIZED_CHARS, tokenCounter } from './token-estimate';

const missing = (name: string) => {
  throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
};

describe('tokenCounter', () => {
  test('uses gpt-tokenizer when installed', () => {
    const counter = tokenCounter();
    expect(counter.name).toBe('gpt-tokenizer');
    // o200k_base: "Hello there, how are you?" is 7 tokens, where chars/4 says 7 too; a long word differs.
    expect(counter.count('Hello there, how are you?')).toBe(7);
    expect(counter.count('internationalization')).toBeLessThan(CHARS_PER_TOKEN.count('internationalization'));
  });

  test('falls back to js-tiktoken, then to chars/4', () => {
    const tiktoken = tokenCounter((name) => {
      if (name === 'js-tiktoken')
        return { getEncoding: () => ({ encode: (text: string) => text.split(' ') }) };
      return missing(name);
    });
    expect(tiktoken.name).toBe('js-tiktoken');
    expect(tiktoken.count('a b c')).toBe(3);
    expect(tokenCounter(missing)).toBe(CHARS_PER_TOKEN);
  });

  test('a tokenizer that fails to load for another reason is not hidden', () => {
    expect(() =>
      tokenCounter(() => {
        throw new Error('broken install');
      }),
    ).toThrow('broken install');
  });
});

describe('estimateTokens', () => {
  test('chat: text of every message plus framing plus the requested answer size', () => {
    const request = {
      messages: [
        { role: 'system', content: 'abcdefgh' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'abcd' },
            { type: 'image_url', image_url: {} },
          ],
        },
      ],
      max_tokens: 50,
    };
    // 3 (answer) + 2 × 4 (messages) + 2 + 1 (texts) + 50
    expect(estimateTokens(request, CHARS_PER_TOKEN)).toBe(64);
    expect(
      estimateTokens({ ...request, max_tokens: undefined, max_completion_tokens: 10 }, CHARS_PER_TOKEN),
    ).toBe(24);
  });

  test('embeddings: strings and token arrays', () => {
    expect(estimateTokens({ input: 'abcdefgh' }, CHARS_PER_TOKEN)).toBe(2);
    expect(estimateTokens({ input: ['abcd', 'abcd'] }, CHARS_PER_TOKEN)).toBe(2);
    expect(estimateTokens({ input: [1, 2, 3] }, CHARS_PER_TOKEN)).toBe(3);
    expect(estimateTokens({ input: [[1, 2], [3]] }, CHARS_PER_TOKEN)).toBe(3);
  });

  test('a long prompt is tokenized up to the cap and scaled beyond it', () => {
    let seen = 0;
    const counter = {
      name: 'spy',
      count: (text: string) => {
        seen += text.length;
        return text.length;
      },
    };
    const long = 'x'.repeat(MAX_TOKENIZED_CHARS * 4);
    const estimate = estimateTokens({ messages: [{ role: 'user', content: long }] }, counter);
    expect(seen).toBe(MAX_TOKENIZED_CHARS);
    expect(estimate).toBe(3 + 4 + long.length);
  });
});
