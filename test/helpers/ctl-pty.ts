// Drives a program on a real pseudo-terminal, as a person at a keyboard would:
// send keys, wait until the screen output matches, repeat. Python's pty module
// (Debian's /usr/bin/python3) does the terminal side.
import { spawn } from 'node:child_process';

const DRIVER = String.raw`
import json, os, pty, re, select, signal, sys, time
spec = json.loads(sys.stdin.read())
pid, fd = pty.fork()
if pid == 0:
    os.environ.clear(); os.environ.update(spec['env'])
    os.execvp(spec['argv'][0], spec['argv'])
out = b''
def read_until(pattern, timeout):
    global out
    deadline = time.time() + timeout
    rx = re.compile(pattern.encode(), re.S) if pattern else None
    start = len(out)
    while True:
        if rx and rx.search(out, start if spec.get('fromLast', True) else 0):
            return True
        left = deadline - time.time()
        if left <= 0:
            return rx is None
        r, _, _ = select.select([fd], [], [], min(left, 0.05))
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return rx is None
            if not data:
                return rx is None
            out += data
result = {'ok': True, 'failed': None}
for i, step in enumerate(spec['steps']):
    if 'send' in step:
        os.write(fd, step['send'].encode())
    if 'signal' in step:
        os.kill(pid, getattr(signal, step['signal']))
    if 'signalOther' in step:
        os.kill(step['signalOther']['pid'], getattr(signal, step['signalOther']['signal']))
    if 'expect' in step:
        if not read_until(step['expect'], step.get('timeout', 10)):
            result = {'ok': False, 'failed': i}
            break
    if 'pause' in step:
        read_until(None, step['pause'])
code = None
deadline = time.time() + 10
while time.time() < deadline:
    read_until(None, 0.05)
    wpid, status = os.waitpid(pid, os.WNOHANG)
    if wpid:
        code = os.waitstatus_to_exitcode(status)
        break
if code is None:
    os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0)
try:
    while True:
        r, _, _ = select.select([fd], [], [], 0.05)
        if not r: break
        data = os.read(fd, 65536)
        if not data: break
        out += data
except OSError:
    pass
result['output'] = out.decode('utf-8', 'replace')
result['code'] = code
print(json.dumps(result))
`;

export interface PtyStep {
  send?: string;
  /** A Python regular expression that the output written after the previous step must match. */
  expect?: string;
  timeout?: number;
  signal?: 'SIGINT' | 'SIGTERM';
  /** A signal to another process (the daemon, say) at this step. */
  signalOther?: { pid: number; signal: 'SIGSTOP' | 'SIGCONT' };
  /** Just collect output for this many seconds. */
  pause?: number;
}

export interface PtyResult {
  ok: boolean;
  /** Index of the step whose expectation was not met. */
  failed: number | null;
  output: string;
  code: number | null;
}

export function runOnPty(argv: string[], steps: PtyStep[], env: NodeJS.ProcessEnv): Promise<PtyResult> {
  const cleanEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) cleanEnv[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', ['-c', DRIVER], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(out) as PtyResult);
      } catch {
        reject(new Error(`pty driver failed: ${err}${out}`));
      }
    });
    const full: Record<string, string> = { TERM: 'xterm', COLUMNS: '120', LINES: '40', ...cleanEnv };
    // TERM: '' runs without TERM at all (a serial console, `docker exec -t` without -e TERM)
    if (full.TERM === '') delete full.TERM;
    child.stdin.end(JSON.stringify({ argv, steps, env: full }));
  });
}

/** The output with terminal control sequences removed, for matching text. */
export function plain(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
}
