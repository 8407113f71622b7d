import { countCompletionTokens, countPromptTokens, countTextTokens, splitContent } from './tokens';

describe('token counting', () => {
  it('counts prompt tokens as ceil(characters of message contents / 4)', () => {
    expect(countPromptTokens([{ role: 'user', content: 'abcd' }])).toBe(1);
    expect(countPromptTokens([{ role: 'user', content: 'abcde' }])).toBe(2);
    expect(
      countPromptTokens([
        { role: 'system', content: 'abc' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'de' },
            { type: 'image_url', image_url: { url: 'x' } },
          ],
        },
        { role: 'assistant', content: null },
      ]),
    ).toBe(2);
    expect(countPromptTokens(undefined)).toBe(0);
    expect(countTextTokens('hello world')).toBe(3);
  });

  it('splits a reply into words that keep their leading whitespace', () => {
    expect(splitContent('Hello from mock')).toEqual(['Hello', ' from', ' mock']);
    expect(splitContent(' a  b ')).toEqual([' a', '  b ']);
    expect(splitContent('   ')).toEqual(['   ']);
    expect(splitContent('')).toEqual([]);
    expect(countCompletionTokens('Hello from mock')).toBe(3);
    expect(countCompletionTokens('')).toBe(0);
  });
});
