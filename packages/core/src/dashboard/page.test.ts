import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { PAGE_SCRIPT } from './page-script.generated';

const generator = join(__dirname, '../../scripts/build-page-script.js');

describe('the page script', () => {
  test('is the compiled browser/page-script.ts (after editing it, `pnpm build` regenerates it)', () => {
    expect(() => execFileSync(process.execPath, [generator, '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  test('is a classic script: no module syntax, strict, in its own scope', () => {
    expect(PAGE_SCRIPT.startsWith("(() => {\n'use strict';\n")).toBe(true);
    expect(PAGE_SCRIPT).not.toMatch(/^\s*(import|export)\b/m);
    expect(() => new Function(PAGE_SCRIPT)).not.toThrow();
  });
});
