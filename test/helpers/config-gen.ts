// Generators of supervisord.conf texts for the fuzz tests: random lines from
// a vocabulary of sections, options and tricky values, and mutations of real
// configs (deleted, duplicated, swapped, truncated lines; inserted characters).
import { pick } from './common';

const SECTIONS = [
  '[supervisord]', '[supervisorctl]', '[program:a]', '[program:b c]', '[group:g]', '[eventlistener:ev]',
  '[fcgi-program:f]', '[include]', '[unix_http_server]', '[inet_http_server]', '[inet_http_server:x]',
  '[rpcinterface:supervisor]', '[ctlplugin:p]', '[DEFAULT]', '[Program:x]', '[program:]', '[]', '[',
];
const KEYS = [
  'command', 'process_name', 'numprocs', 'numprocs_start', 'priority', 'autostart', 'autorestart', 'startsecs',
  'startretries', 'exitcodes', 'stopsignal', 'stopwaitsecs', 'stopasgroup', 'killasgroup', 'user', 'directory', 'umask',
  'redirect_stderr', 'stdout_logfile', 'stdout_logfile_maxbytes', 'stdout_logfile_backups', 'stdout_capture_maxbytes',
  'stdout_events_enabled', 'stdout_syslog', 'stderr_logfile', 'environment', 'serverurl', 'events', 'buffer_size',
  'result_handler', 'socket', 'socket_owner', 'socket_mode', 'socket_backlog', 'programs', 'files', 'file', 'chmod',
  'chown', 'username', 'password', 'port', 'logfile', 'logfile_maxbytes', 'loglevel', 'pidfile', 'nodaemon', 'minfds',
  'childlogdir', 'identifier', 'supervisor.rpcinterface_factory', 'supervisor.ctl_factory', 'unknown_key', 'CoMmAnD',
];
const VALUES = [
  '/bin/cat', 'sh -c "echo %(program_name)s"', '%(process_num)02d', '%(ENV_HOME)s', '%(here)s/x.log', '%(nope)s', '%',
  '%%', '%(process_num)', '3', '0', '-1', '99999999999999999999', 'abc', 'true', 'no', 'unexpected', 'TERM', 'SIGKILL',
  '9', 'BOGUS', '0,2', '256', '1MB', '10 kb', 'GB', '022', '0o77', '8', 'AUTO', 'NONE', 'syslog', '/no/such/dir/x.log',
  'root', 'nobody', 'nosuchuser', '0:0', 'root:nogroup', 'A="1",B="x y"', 'A=1 B=2', 'A="unclosed', 'PROCESS_STATE',
  'TICK_5,PROCESS_LOG', 'NOPE', 'unix:///tmp/x.sock', 'unix://rel.sock', 'tcp://127.0.0.1:9000', 'tcp://h:0', '*:9001',
  '127.0.0.1:', 'a,b', 'a,,b', 'supervisor.rpcinterface:make_main_rpcinterface', 'bad spec!', 'conf.d/*.conf',
  'nomatch/*.x', '%(host_node_name)s', '%(group_name)s-%(numprocs)d', "bash -c 'x ; y'", 'x;y', 'x #y', 'x#y', '{SHA}abc',
  'é', '\t', '',
];
const GLUE = [' = ', '=', ': ', ' :', '==', ' '];

export function randomLine(rng: () => number): string {
  const r = rng();
  if (r < 0.12) return pick(rng, SECTIONS);
  if (r < 0.17) return pick(rng, ['; comment', '# comment', '', '   ', '  continuation value', '\tmore']);
  let v = pick(rng, VALUES);
  if (rng() < 0.2) v += pick(rng, [' ;c', ';c', ' #c', pick(rng, VALUES)]);
  return pick(rng, KEYS) + pick(rng, GLUE) + v;
}

export function generated(rng: () => number): string {
  const lines = ['[supervisord]'];
  const n = 2 + Math.floor(rng() * 25);
  for (let i = 0; i < n; i++) lines.push(randomLine(rng));
  return lines.join(pick(rng, ['\n', '\n', '\r\n'])) + '\n';
}

export function mutate(rng: () => number, text: string): string {
  const lines = text.split('\n');
  const ops = 1 + Math.floor(rng() * 4);
  for (let k = 0; k < ops; k++) {
    const i = Math.floor(rng() * Math.max(lines.length, 1));
    switch (Math.floor(rng() * 7)) {
      case 0:
        lines.splice(i, 1);
        break;
      case 1:
        lines.splice(i, 0, lines[i] ?? '');
        break;
      case 2:
        lines.splice(i, 0, randomLine(rng));
        break;
      case 3: {
        const j = Math.floor(rng() * lines.length);
        [lines[i], lines[j]] = [lines[j], lines[i]];
        break;
      }
      case 4: {
        const l = lines[i] ?? '';
        const p = Math.floor(rng() * (l.length + 1));
        lines[i] = l.slice(0, p) + pick(rng, ['%', ';', '#', '=', ':', '[', ']', ' ', '\t', '"', "'", '\x00', 'é', '\r']) + l.slice(p);
        break;
      }
      case 5:
        lines[i] = (lines[i] ?? '').slice(0, Math.floor(rng() * ((lines[i] ?? '').length + 1)));
        break;
      default:
        lines[i] = '  ' + (lines[i] ?? '');
    }
  }
  return lines.join('\n');
}

