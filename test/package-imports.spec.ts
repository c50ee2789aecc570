import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';

const root = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
/** The bridge app runs from this repository, where dev dependencies are installed; the library does not. */
const APP_FILES = /^src\/(main\.ts|bridge\/)/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*|^import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1]);
  return found.filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s));
}

describe('package manifest', () => {
  const runtime = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
  const dev = new Set(Object.keys(pkg.devDependencies ?? {}));

  it('declares every package the library imports as a dependency or peer dependency', () => {
    const missing: string[] = [];
    for (const file of sourceFiles(join(root, 'src'))) {
      const name = relative(root, file);
      const allowed = APP_FILES.test(name) ? new Set([...runtime, ...dev]) : runtime;
      for (const specifier of importsOf(file)) {
        if (!allowed.has(packageOf(specifier))) missing.push(`${name}: ${specifier}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('installs every peer dependency for development, on the Nest 11 line', () => {
    for (const peer of Object.keys(pkg.peerDependencies)) expect(dev.has(peer)).toBe(true);
    for (const name of ['@nestjs/common', '@nestjs/core', '@nestjs/testing', '@nestjs/platform-express', '@nestjs/platform-fastify']) {
      expect(pkg.devDependencies[name]).toMatch(/^\^11\./);
    }
  });

  it('exports the main entry and the testing kit', () => {
    expect(pkg.name).toBe('nestjs-ecwid');
    expect(Object.keys(pkg.exports)).toEqual(expect.arrayContaining(['.', './testing']));
  });
});
