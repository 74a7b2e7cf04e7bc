// How the agent is deployed on a real host and on the Vagrant VMs: the
// systemd unit passes systemd-analyze verify, the install script puts a
// working agentctl on PATH and the unit in place, and the Vagrantfile is valid.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../../lab/repository.js';
import { until } from '../support/until.js';

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
      expect(unit).toMatch(/^Type=notify$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("systemctl reload fails visibly on a broken file: the unit's ExecReload lines, run as systemd runs them", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reload-'));
    const config = join(dir, 'agent.yaml');
    const good = `asn: 64512\nrouterId: 10.0.0.1\nlisten: { port: 0 }\nfib: { kernel: { enabled: false } }\napi: { socket: ${dir}/agent.sock }\nmetrics: { listen: "" }\n`;
    writeFileSync(config, good);
    const agent = spawn('node', [join(repositoryRoot, 'bin', 'agent'), '--config', config], {
      stdio: 'ignore',
    });
    try {
      await until(() => existsSync(join(dir, 'agent.sock')), 10_000);
      const unit = readFileSync(join(repositoryRoot, 'systemd', 'agent.service'), 'utf8');
      // systemd runs every ExecReload= in order and fails the reload at the first that fails.
      const reload = (): { status: number | null; stderr: string } => {
        for (const line of unit.split('\n').filter((l) => l.startsWith('ExecReload='))) {
          const command = line
            .slice('ExecReload='.length)
            .replaceAll('/usr/local/bin/', `${join(repositoryRoot, 'bin')}/`)
            .replaceAll('/etc/agent/agent.yaml', config)
            .replaceAll('$MAINPID', String(agent.pid));
          const result = spawnSync('sh', ['-c', command], { encoding: 'utf8' });
          if (result.status !== 0) return { status: result.status, stderr: result.stderr };
        }
        return { status: 0, stderr: '' };
      };
      writeFileSync(
        config,
        `${good}neighbors:\n  - address: 10.0.0.2\n    asn: 64512\n    hodlTimeSeconds: 9\n`,
      );
      const broken = reload();
      expect(broken.status).not.toBe(0);
      expect(broken.stderr).toContain(
        'neighbors[0].hodlTimeSeconds: unknown key; did you mean holdTimeSeconds?',
      );
      expect(agent.exitCode).toBe(null);
      writeFileSync(config, good);
      expect(reload().status).toBe(0);
    } finally {
      agent.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

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
      const version = spawnSync(join(stage, 'usr/local/lib/agent/bin/agent'), ['--version'], {
        encoding: 'utf8',
      });
      expect(version.stdout).toMatch(/^agent \d+\.\d+\.\d+\n$/);
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

  it.each([
    ['succeeds', 0],
    ['fails', 100],
  ])('install-deps.sh removes the policy-rc.d it made when apt-get %s, and leaves one it did not make', (_what, aptStatus) => {
    const dir = mkdtempSync(join(tmpdir(), 'deps-'));
    try {
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      const policy = join(dir, 'policy-rc.d');
      const stub = (name: string, body: string) => {
        writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
        chmodSync(join(bin, name), 0o755);
      };
      stub('dpkg-query', 'exit 1'); // nothing installed: apt-get runs
      // apt-get install notes whether services were held off while it ran.
      stub(
        'apt-get',
        `case "$1" in install) if [ -x "${policy}" ]; then echo held >> "${dir}/apt.log"; fi; exit ${aptStatus};; esac; exit 0`,
      );
      stub('npm', 'exit 0');
      stub('node', 'echo 20');
      const runScript = () =>
        spawnSync('bash', [join(repositoryRoot, 'scripts', 'install-deps.sh')], {
          encoding: 'utf8',
          env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, POLICY_RC_D: policy },
        });
      const first = runScript();
      expect(first.status).toBe(aptStatus === 0 ? 0 : aptStatus);
      expect(readFileSync(join(dir, 'apt.log'), 'utf8')).toBe('held\n');
      expect(existsSync(policy)).toBe(false);
      // One the host had before is the host's: kept as it was.
      writeFileSync(policy, '#!/bin/sh\nexit 0\n');
      chmodSync(policy, 0o755);
      runScript();
      expect(readFileSync(policy, 'utf8')).toBe('#!/bin/sh\nexit 0\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lab/node-setup.sh writes the agent config 0600 (as install.sh does), also over an existing file', async () => {
    const tag = randomBytes(3).toString('hex');
    const [node, pod] = [`ns-${tag}`, `pod-${tag}`];
    const dir = mkdtempSync(join(tmpdir(), 'setup-'));
    const config = join(dir, 'agent.yaml');
    writeFileSync(config, '# made by install.sh\n', { mode: 0o600 });
    spawnSync('ip', ['netns', 'add', node]);
    try {
      const setup = spawnSync(
        'ip',
        [
          'netns',
          'exec',
          node,
          'bash',
          join(repositoryRoot, 'lab', 'node-setup.sh'),
          '--index',
          '7',
          '--node-ip',
          '10.0.0.1',
          '--peer-ip',
          '10.0.0.2',
          '--uplink',
          'lo',
          '--pod-ns',
          pod,
          '--config',
          config,
        ],
        { encoding: 'utf8' },
      );
      expect([setup.status, setup.stderr]).toEqual([0, '']);
      expect(readFileSync(config, 'utf8')).toContain('routerId: 10.0.0.1');
      expect(statSync(config).mode & 0o777).toBe(0o600);
    } finally {
      spawnSync('ip', ['netns', 'del', pod]);
      spawnSync('ip', ['netns', 'del', node]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

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
    // The host-only network is a variable (VirtualBox >= 6.1.28 allows only
    // 192.168.56.0/21 unless /etc/vbox/networks.conf says more), its default
    // the lab's 172.18.8.0/24, and no address is written out anywhere else.
    expect(vagrantfile).toContain("ENV.fetch('AGENT_LAB_NETWORK', '172.18.8')");
    const code = vagrantfile
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('#'))
      .join('\n');
    expect(code.match(/172\.18\.8/g)).toHaveLength(1);
    const other = spawnSync('vagrant', ['validate', '--ignore-provider'], {
      cwd: join(repositoryRoot, 'vagrant'),
      encoding: 'utf8',
      env: { ...process.env, AGENT_LAB_NETWORK: '192.168.56' },
    });
    expect([other.status, other.stdout]).toEqual([0, expect.stringContaining('validated successfully')]);
    const bad = spawnSync('vagrant', ['validate', '--ignore-provider'], {
      cwd: join(repositoryRoot, 'vagrant'),
      encoding: 'utf8',
      env: { ...process.env, AGENT_LAB_NETWORK: '192.168.56.0/24' },
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr + bad.stdout).toContain('AGENT_LAB_NETWORK');
  }, 60_000);
});
