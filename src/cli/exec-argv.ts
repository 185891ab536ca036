// With TSV_DEBUG the single executable says the Node options and V8 flags
// its build gave it (a preload cannot show them: the binary refuses
// NODE_OPTIONS). Called by whichever script is the executable's main one.
export function sayExecArgv(): void {
  if (process.env.TSV_DEBUG) process.stderr.write(`tsv: execArgv ${JSON.stringify(process.execArgv)}\n`);
}
