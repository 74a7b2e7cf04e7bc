// The layering of DESIGN.md checked on the import statements of src/**/*.ts:
// the client and the API contract never reach into the daemon, the
// forwarding-plane writers never see BGP types, the codec stands alone, and
// no two files import each other, however indirectly.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const repository = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Repository-relative paths ("src/api/routes.ts") of every TypeScript file under src. */
function sourceFiles(): string[] {
  return readdirSync(join(repository, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => posix.join('src', name.split('\\').join('/')))
    .sort();
}

/**
 * Each file's imports of other src files, from `import`, `import type`,
 * `export ... from` and `import()` alike: a type-only import still ties the
 * two files together. Packages and node: modules are left out.
 */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(join(repository, file), 'utf8');
    const specifiers = ts.preProcessFile(text, true, true).importedFiles.map((i) => i.fileName);
    graph.set(
      file,
      specifiers
        .filter((specifier) => specifier.startsWith('.'))
        // NodeNext: the source says ./x.js for the file ./x.ts.
        .map((specifier) => posix.join(posix.dirname(file), specifier).replace(/\.js$/, '.ts')),
    );
  }
  return graph;
}

const graph = importGraph(sourceFiles());

/** "from -> to" for every import of a file under `from` that `allowed` refuses. */
function violations(from: string, allowed: (target: string) => boolean): string[] {
  const found: string[] = [];
  for (const [file, targets] of graph) {
    if (!file.startsWith(from)) continue;
    for (const target of targets) if (!allowed(target)) found.push(`${file} -> ${target}`);
  }
  return found;
}

/**
 * The cycles a depth-first walk meets (at least one through every group of
 * files that import each other), each as the files in import order with the
 * first repeated at the end ("a -> b -> a").
 */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (file: string): void => {
    path.push(file);
    onPath.add(file);
    for (const target of graph.get(file) ?? []) {
      if (onPath.has(target)) cycles.push([...path.slice(path.indexOf(target)), target]);
      else if (!done.has(target)) visit(target);
    }
    path.pop();
    onPath.delete(file);
    done.add(file);
  };
  for (const file of graph.keys()) if (!done.has(file)) visit(file);
  return cycles;
}

describe('architecture: imports between the parts of src', () => {
  it('sees the source tree and its imports (a wrong root would pass every check below)', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect([...graph.values()].flat().length).toBeGreaterThan(200);
  });

  it('every relative import names a file in src', () => {
    expect(violations('src/', (target) => graph.has(target))).toEqual([]);
  });

  it('src/cli (agentctl) imports nothing from src/daemon: it knows the daemon only through src/api', () => {
    expect(violations('src/cli/', (target) => !target.startsWith('src/daemon/'))).toEqual([]);
  });

  it('src/api imports nothing from src/daemon: the daemon implements the API, not the other way round', () => {
    expect(violations('src/api/', (target) => !target.startsWith('src/daemon/'))).toEqual([]);
  });

  it('src/netlink and src/ovs import nothing from src/bgp: writers take plain route commands', () => {
    const notBgp = (target: string) => !target.startsWith('src/bgp/');
    expect([...violations('src/netlink/', notBgp), ...violations('src/ovs/', notBgp)]).toEqual([]);
  });

  it('src/bgp/codec imports only from src/bgp/codec and src/net', () => {
    expect(
      violations(
        'src/bgp/codec/',
        (target) => target.startsWith('src/bgp/codec/') || target.startsWith('src/net/'),
      ),
    ).toEqual([]);
  });

  it('src/bfd stands apart from BGP and the RIB: only coupling.ts knows the BGP FSM state names', () => {
    expect(
      violations(
        'src/bfd/',
        (target) => target.startsWith('src/bfd/') || target.startsWith('src/net/'),
      ).filter((v) => v !== 'src/bfd/coupling.ts -> src/bgp/fsm.ts'),
    ).toEqual([]);
  });

  it('no file in src imports itself through other files', () => {
    expect(importCycles(graph).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });

  it('the cycle check reports a cycle as its files in import order', () => {
    const example = new Map([
      ['src/a.ts', ['src/b.ts']],
      ['src/b.ts', ['src/c.ts', 'src/d.ts']],
      ['src/c.ts', ['src/a.ts']],
      ['src/d.ts', []],
    ]);
    expect(importCycles(example)).toEqual([['src/a.ts', 'src/b.ts', 'src/c.ts', 'src/a.ts']]);
  });
});

/**
 * What loading `file` loads at once: its static value imports (not `import
 * type`, not `import()`), followed through src; packages as their names.
 */
function staticClosure(file: string): Set<string> {
  const seen = new Set<string>();
  const visit = (current: string): void => {
    if (seen.has(current)) return;
    seen.add(current);
    if (!current.startsWith('src/')) return;
    const source = ts.createSourceFile(
      current,
      readFileSync(join(repository, current), 'utf8'),
      ts.ScriptTarget.Latest,
    );
    for (const statement of source.statements) {
      let specifier: string | null = null;
      if (ts.isImportDeclaration(statement) && statement.importClause?.isTypeOnly !== true)
        specifier = (statement.moduleSpecifier as ts.StringLiteral).text;
      if (ts.isExportDeclaration(statement) && !statement.isTypeOnly && statement.moduleSpecifier)
        specifier = (statement.moduleSpecifier as ts.StringLiteral).text;
      if (specifier === null) continue;
      visit(
        specifier.startsWith('.')
          ? posix.join(posix.dirname(current), specifier).replace(/\.js$/, '.ts')
          : specifier,
      );
    }
  };
  visit(file);
  return seen;
}

describe('architecture: what an idle daemon loads', () => {
  it('the daemon loads neither zod nor yaml at start (config is parsed in a child process, API checks on first use)', () => {
    const loaded = staticClosure('src/daemon/main.ts');
    expect(loaded.has('src/daemon/agent.ts')).toBe(true);
    expect(loaded.has('src/config/load-child.ts')).toBe(false);
    expect([...loaded].filter((m) => m === 'zod' || m === 'yaml' || m.startsWith('zod/'))).toEqual([]);
  });

  it('the closure sees packages (a walk that missed them would pass the check above)', () => {
    expect(staticClosure('src/config/load-child.ts').has('zod')).toBe(true);
    expect(staticClosure('src/config/load-child.ts').has('yaml')).toBe(true);
  });
});
