// How the agent is deployed on a real host and on the Vagrant VMs: the
// systemd unit passes systemd-analyze verify, the install script puts a
// working agentctl on PATH and the unit in place, and the Vagrantfile is valid.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../../lab/repository.js';

describe('deployment', () => {
  it('systemd/agent.service passes systemd-analyze verify', () => {
    const dir = mkdtempSync(join(tmpdir(), 'unit-'));
    try {
      // verify wants the ExecStart binary to exist: point the copy at the repository's.
      const unit = readFileSync(join(repositoryRoot, 'systemd', 'agent.service'), 'utf8').replaceAll(
        '/usr/local/bin/agent',
        join(repositoryRoot, 'bin', 'agent'),
      );
      const path = join(dir, 'agent.service');
      writeFileSync(path, unit);
      const result = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
      expect([result.status, result.stderr.trim()]).toEqual([0, '']);
      expect(unit).toMatch(/^RuntimeDirectory=agent$/m);
      expect(unit).toMatch(/^CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_NET_RAW$/m);
      expect(unit).toMatch(/^ProtectSystem=strict$/m);
      expect(unit).toMatch(/^Restart=on-failure$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('scripts/install.sh installs agent and agentctl, the unit, the example config', () => {
    const stage = mkdtempSync(join(tmpdir(), 'stage-'));
    try {
      const install = spawnSync('bash', [join(repositoryRoot, 'scripts', 'install.sh')], {
        encoding: 'utf8',
        env: { ...process.env, DESTDIR: stage },
      });
      expect(install.status).toBe(0);
      expect(readlinkSync(join(stage, 'usr/local/bin/agentctl'))).toBe('/usr/local/lib/agent/bin/agentctl');
      const agentctl = spawnSync(
        join(stage, 'usr/local/lib/agent/bin/agentctl'),
        ['decode', 'ffffffffffffffffffffffffffffffff001304'],
        { encoding: 'utf8' },
      );
      expect(agentctl.stdout).toContain('KEEPALIVE');
      const check = spawnSync(
        join(stage, 'usr/local/lib/agent/bin/agent'),
        ['--config', join(stage, 'etc/agent/agent.yaml'), '--check'],
        { encoding: 'utf8' },
      );
      expect([check.status, check.stdout]).toEqual([0, expect.stringContaining('configuration OK')]);
      expect(readFileSync(join(stage, 'etc/systemd/system/agent.service'), 'utf8')).toContain(
        'ExecStart=/usr/local/bin/agent --config /etc/agent/agent.yaml',
      );
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
  }, 60_000);

  it('vagrant/Vagrantfile validates (vagrant validate --ignore-provider)', () => {
    const result = spawnSync('vagrant', ['validate', '--ignore-provider'], {
      cwd: join(repositoryRoot, 'vagrant'),
      encoding: 'utf8',
    });
    expect([result.status, result.stdout]).toEqual([
      0,
      expect.stringContaining('Vagrantfile validated successfully'),
    ]);
    const vagrantfile = readFileSync(join(repositoryRoot, 'vagrant', 'Vagrantfile'), 'utf8');
    // The VMs run the namespace lab's node set-up script.
    expect(vagrantfile).toContain('lab/node-setup.sh');
  }, 60_000);
});
