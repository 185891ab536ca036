// supervisorctl prints an action's unexpected exception as
//   error: <class 'X'>, <message>: file: <file> line: <n>
// (asyncore.compact_traceback). tsv keeps the class and message text of the
// Python exception the same failure raises there, so scripts matching on them
// keep working; file and line name the place in tsv that raised it.
import { RpcConnectionError, RpcHttpError, ServerUrlError } from '../rpc/client';
import { XmlRpcFault, XmlRpcParseError } from '../rpc/xmlrpc';
import { HttpAnswerError } from '../rpc/raw-http';
import { pyRepr } from '../config/pyformat';
import { pyOSError } from '../os/py-errno';


/** str() of an xmlrpc.client.Fault. */
export function faultRepr(err: XmlRpcFault): string {
  return `<Fault ${err.faultCode}: ${pyRepr(err.faultString)}>`;
}

/** The `<class 'X'>, <message>` part of supervisorctl's error line for `err`. */
export function pythonException(err: unknown): { cls: string; message: string } {
  if (err instanceof XmlRpcFault) {
    return { cls: 'xmlrpc.client.Fault', message: faultRepr(err) };
  }
  if (err instanceof RpcHttpError) {
    return { cls: 'xmlrpc.client.ProtocolError', message: `<ProtocolError for 127.0.0.1/RPC2: ${err.status} ${err.reason}>` };
  }
  if (err instanceof RpcConnectionError) {
    if (err.code === 'ENOTFOUND') return { cls: 'socket.gaierror', message: '[Errno -2] Name or service not known' };
    if (err.code === 'EAI_AGAIN') return { cls: 'socket.gaierror', message: '[Errno -3] Temporary failure in name resolution' };
    if (err.code === 'ECONNRESET' && /hang up/.test(err.message)) {
      return { cls: 'http.client.RemoteDisconnected', message: 'Remote end closed connection without response' };
    }
    // Python refuses a unix socket path longer than sun_path before it connects
    if (err.code === 'ENAMETOOLONG') return { cls: 'OSError', message: 'AF_UNIX path too long' };
    return pyOSError(err);
  }
  if (err instanceof ServerUrlError) return { cls: err.pyClass, message: err.message };
  if (err instanceof HttpAnswerError) return { cls: err.pyClass, message: err.pyMessage };
  if (err instanceof XmlRpcParseError) {
    // xmlrpc.client's Unmarshaller skips tags it does not know, but in a <value>, and finds no answer in the rest
    if (err.kind === 'NOT_XMLRPC') {
      const tag = /^unexpected <([^>]+)> in <value>$/.exec(err.message)?.[1];
      return { cls: 'xmlrpc.client.ResponseError', message: tag ? `ResponseError(${pyRepr(`unknown tag '${tag}'`)})` : 'ResponseError()' };
    }
    return { cls: 'xml.parsers.expat.ExpatError', message: err.expat ?? err.message };
  }
  if (err instanceof Error && (err.name === 'ValueError' || err.name === 'EOFError')) return { cls: err.name, message: err.message };
  if (err instanceof TypeError) return { cls: 'TypeError', message: err.message };
  // the encoder's only RangeError: an int past int32, xmlrpc.client's OverflowError
  if (err instanceof RangeError) return { cls: 'OverflowError', message: err.message };
  if (err instanceof Error) return { cls: 'Exception', message: err.message };
  return { cls: 'Exception', message: String(err) };
}

/** Where `err` was raised, from its stack: the innermost frame, like compact_traceback. */
function origin(err: unknown): { file: string; line: string } {
  const stack = err instanceof Error && typeof err.stack === 'string' ? err.stack : '';
  for (const l of stack.split('\n').slice(1)) {
    const m = /\(?((?:[A-Za-z]:)?[^():\s]+(?::[^():\s]+)?):(\d+):\d+\)?\s*$/.exec(l.trim());
    if (m) return { file: m[1] as string, line: m[2] as string };
  }
  return { file: 'tsv', line: '0' };
}

export function errorLine(err: unknown): string {
  const { cls, message } = pythonException(err);
  const { file, line } = origin(err);
  return `error: <class '${cls}'>, ${message}: file: ${file} line: ${line}`;
}
