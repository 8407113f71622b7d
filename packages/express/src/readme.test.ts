/**
 * The Express snippets of the READMEs, run as written on Express 4 and 5 against mock providers:
 * they must answer, survive an outage without an unhandled rejection, and answer errors as JSON.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as adapter from '@ai-failover/express';
import { fault, type Listening, listen, MockProvider } from '@ai-failover/testing';
import express from 'express';
import express4 from 'express4';
import ts from 'typescript';

const ROOT = join(__dirname, '../../..');

/** The first ```ts block of `file` that contains `marker`. */
function snippet(file: string, marker: string): string {
  const text = readFileSync(join(ROOT, file), 'utf8');
  for (const match of text.matchAll(/```ts\n([\s\S]*?)```/g)) {
    if (match[1]!.includes(marker)) return match[1]!;
  }
  throw new Error(`no \`\`\`ts block with ${marker} in ${file}`);
}

/**
 * Runs a snippet with `express` bound to `framework` and its providers pointed at `mocks` (in the
 * order written), and returns its `app`. `app.listen()` is left out: the test listens itself.
 */
function run(code: string, framework: typeof express, mocks: MockProvider[]): express.Express {
  let provider = 0;
  const source = code
    .replace(/baseUrl: '[^']*'/g, () => `baseUrl: '${mocks[provider++]!.baseUrl}'`)
    .replace(/^app\.listen\(.*$/m, '');
  expect(provider).toBe(mocks.length);
  const { outputText } = ts.transpileModule(`${source}\nmodule.exports = app;`, {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  });
  const modules: Record<string, unknown> = { express: framework, '@ai-failover/express': adapter };
  const load = (name: string) => {
    if (!(name in modules)) throw new Error(`the snippet imports ${name}`);
    return modules[name];
  };
  const module = { exports: {} as unknown };
  new Function('require', 'module', 'exports', outputText)(load, module, module.exports);
  return module.exports as express.Express;
}

const SNIPPETS = [
  {
    name: 'the README',
    code: () => snippet('README.md', "from '@ai-failover/express'"),
    path: '/ask',
    body: (text: string) => ({ q: text }),
  },
  {
    name: 'the Express README',
    code: () => snippet('packages/express/README.md', "from '@ai-failover/express'"),
    path: '/summarize',
    body: (text: string) => ({ text }),
  },
];

describe.each([
  ['Express 5', express],
  ['Express 4', express4],
] as const)('%s', (_name, framework) => {
  describe.each(SNIPPETS)('the snippet of $name', ({ code, path, body }) => {
    let mocks: MockProvider[];
    let app: Listening | undefined;
    const env = { ...process.env };

    beforeEach(async () => {
      mocks = await Promise.all([MockProvider.start({ name: 'one' }), MockProvider.start({ name: 'two' })]);
      for (const [, name] of code().matchAll(/env: '(\w+)'/g)) process.env[name!] = `sk-test-${name}`;
      app = await listen(run(code(), framework, mocks));
    });
    afterEach(async () => {
      await app?.close();
      await Promise.all(mocks.map((mock) => mock.close()));
      process.env = { ...env };
    });

    const ask = (payload: string) =>
      fetch(`${app!.base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
      });

    test('answers, fails over, and answers an outage and a bad body as JSON', async () => {
      const ok = await ask(JSON.stringify(body('hi')));
      expect(ok.status).toBe(200);
      expect(JSON.stringify(await ok.json())).toContain('Hello from one');

      mocks[0]!.setDefault(fault.status(503));
      expect(JSON.stringify(await (await ask(JSON.stringify(body('hi')))).json())).toContain(
        'Hello from two',
      );

      mocks[1]!.setDefault(fault.status(503));
      const down = await ask(JSON.stringify(body('hi')));
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({
        error: expect.objectContaining({ code: 'all_attempts_failed', type: 'api_error' }),
      });

      const malformed = await ask('{"q": ');
      expect(malformed.status).toBe(400);
      expect(await malformed.json()).toEqual({ error: expect.objectContaining({ code: 'invalid_json' }) });
    });
  });
});
