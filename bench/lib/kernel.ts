// The size of a namespace's IPv4 kernel table, cheaply: the Main table's
// prefix count from /proc/<pid>/net/fib_triestat of a process in that
// namespace (the same reading as bench/fib.ts). One read walks the trie in
// the kernel (about 60 ms at 1M routes), so poll it every 200 ms or so.

import { readFileSync } from 'node:fs';

/** IPv4 prefixes in the Main table of the network namespace `pid` is in. */
export function kernelPrefixes(pid: number): number {
  const text = readFileSync(`/proc/${pid}/net/fib_triestat`, 'utf8');
  const main = text.indexOf('Main:');
  if (main < 0) return 0;
  const match = /Prefixes:\s+(\d+)/.exec(text.slice(main));
  return match === null ? 0 : Number(match[1]);
}
