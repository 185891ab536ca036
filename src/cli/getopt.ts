// Python's getopt.getopt, which supervisord, supervisorctl and superlance's
// crashmail all parse their command lines with: one port, so that the three
// accept and refuse the same spellings (clustered short flags, attached or
// separate values, unique prefixes of long options, options ending at the
// first operand) with getopt's own messages.

export class GetoptError extends Error {}

/** Python's getopt.getopt (not gnu_getopt): options end at the first operand. */
export function getopt(argv: readonly string[], shortopts: string, longopts: readonly string[]): [Array<[string, string]>, string[]] {
  const opts: Array<[string, string]> = [];
  let args = [...argv];
  while (args.length && (args[0] as string).startsWith('-') && args[0] !== '-') {
    const first = args[0] as string;
    if (first === '--') {
      args = args.slice(1);
      break;
    }
    args = args.slice(1);
    if (first.startsWith('--')) {
      let opt = first.slice(2);
      let optarg: string | null = null;
      const eq = opt.indexOf('=');
      if (eq !== -1) {
        optarg = opt.slice(eq + 1);
        opt = opt.slice(0, eq);
      }
      const possibilities = longopts.filter((o) => o.startsWith(opt));
      if (!possibilities.length) throw new GetoptError(`option --${opt} not recognized`);
      let hasArg: boolean;
      if (possibilities.includes(opt)) hasArg = false;
      else if (possibilities.includes(opt + '=')) hasArg = true;
      else if (possibilities.length > 1) throw new GetoptError(`option --${opt} not a unique prefix`);
      else {
        const unique = possibilities[0] as string;
        hasArg = unique.endsWith('=');
        opt = hasArg ? unique.slice(0, -1) : unique;
      }
      if (hasArg) {
        if (optarg === null) {
          if (!args.length) throw new GetoptError(`option --${opt} requires argument`);
          optarg = args.shift() as string;
        }
      } else if (optarg !== null) {
        throw new GetoptError(`option --${opt} must not have an argument`);
      }
      opts.push(['--' + opt, optarg ?? '']);
    } else {
      let optstring = first.slice(1);
      while (optstring !== '') {
        const opt = optstring[0] as string;
        optstring = optstring.slice(1);
        const at = opt === ':' ? -1 : shortopts.indexOf(opt);
        if (at === -1) throw new GetoptError(`option -${opt} not recognized`);
        let optarg = '';
        if (shortopts[at + 1] === ':') {
          if (optstring === '') {
            if (!args.length) throw new GetoptError(`option -${opt} requires argument`);
            optstring = args.shift() as string;
          }
          optarg = optstring;
          optstring = '';
        }
        opts.push(['-' + opt, optarg]);
      }
    }
  }
  return [opts, args];
}
