// Where to connect: "unix:PATH" or "tcp:HOST:PORT" (the ovs-vsctl/ovs-ofctl
// spelling of remotes), and the default OpenFlow target: the bridge's
// management socket, which ovs-vswitchd creates next to ovsdb's socket
// (<OVS_RUNDIR>/<bridge>.mgmt).
import { dirname, join } from 'node:path';

export type SocketTarget =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

export type TargetResult =
  | { readonly ok: true; readonly value: SocketTarget }
  | { readonly ok: false; readonly error: string };

export function parseTarget(text: string): TargetResult {
  if (text.startsWith('unix:') && text.length > 5)
    return { ok: true, value: { kind: 'unix', path: text.slice(5) } };
  const tcp = /^tcp:(.+):(\d{1,5})$/.exec(text);
  if (tcp) {
    const host = (tcp[1] ?? '').replace(/^\[(.*)\]$/, '$1');
    const port = Number(tcp[2]);
    if (port >= 1 && port <= 65535) return { ok: true, value: { kind: 'tcp', host, port } };
  }
  return { ok: false, error: `"${text}" is not unix:PATH or tcp:HOST:PORT` };
}

export function formatTarget(target: SocketTarget): string {
  return target.kind === 'unix' ? `unix:${target.path}` : `tcp:${target.host}:${target.port}`;
}

/**
 * The OpenFlow target: the configured one, or `<dir of the ovsdb unix socket>/<bridge>.mgmt`.
 * A tcp ovsdb remote without an explicit openflow target has no default.
 */
export function openflowTarget(config: {
  readonly openflow: string | null;
  readonly ovsdb: string;
  readonly bridge: string;
}): TargetResult {
  if (config.openflow !== null) return parseTarget(config.openflow);
  const ovsdb = parseTarget(config.ovsdb);
  if (!ovsdb.ok) return ovsdb;
  if (ovsdb.value.kind !== 'unix')
    return { ok: false, error: 'fib.ovs.openflow must be set when fib.ovs.ovsdb is a tcp: remote' };
  return {
    ok: true,
    value: { kind: 'unix', path: join(dirname(ovsdb.value.path), `${config.bridge}.mgmt`) },
  };
}
