// Python's words for the errors Node reports by code: what supervisord and
// supervisorctl print where tsv must print the same.
import { pyRepr } from '../config/pyformat';

/** errno → [number, Python exception class, strerror] for what a connect, a chdir or an open can raise. */
const PY_ERRNO: Record<string, [number, string, string]> = {
  EPERM: [1, 'PermissionError', 'Operation not permitted'],
  ENOENT: [2, 'FileNotFoundError', 'No such file or directory'],
  EACCES: [13, 'PermissionError', 'Permission denied'],
  ENOTDIR: [20, 'NotADirectoryError', 'Not a directory'],
  EINVAL: [22, 'OSError', 'Invalid argument'],
  EPIPE: [32, 'BrokenPipeError', 'Broken pipe'],
  ENAMETOOLONG: [36, 'OSError', 'File name too long'],
  ELOOP: [40, 'OSError', 'Too many levels of symbolic links'],
  ENOTSOCK: [88, 'OSError', 'Socket operation on non-socket'],
  EPROTOTYPE: [91, 'OSError', 'Protocol wrong type for socket'],
  EADDRNOTAVAIL: [99, 'OSError', 'Cannot assign requested address'],
  ENETUNREACH: [101, 'OSError', 'Network is unreachable'],
  ECONNABORTED: [103, 'ConnectionAbortedError', 'Software caused connection abort'],
  ECONNRESET: [104, 'ConnectionResetError', 'Connection reset by peer'],
  ETIMEDOUT: [110, 'TimeoutError', 'Connection timed out'],
  ECONNREFUSED: [111, 'ConnectionRefusedError', 'Connection refused'],
  EHOSTUNREACH: [113, 'OSError', 'No route to host'],
};

/** The class and str() Python gives the OSError for this error code, without a file name ("[Errno 111] Connection refused"). */
export function pyOSError(err: { code?: string; errno?: number; message: string }): { cls: string; message: string } {
  const known = err.code ? PY_ERRNO[err.code] : undefined;
  if (known) return { cls: known[1], message: `[Errno ${known[0]}] ${known[2]}` };
  return { cls: 'OSError', message: `[Errno ${Math.abs(err.errno ?? 0)}] ${err.message}` };
}

/** str() of the OSError Python raises for a call on `filename` (os.chdir(d): "[Errno 13] Permission denied: 'd'"). */
export function pyOSErrorText(err: NodeJS.ErrnoException, filename: string): string {
  return `${pyOSError(err).message}: ${pyRepr(filename)}`;
}
