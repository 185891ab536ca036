// `tsv daemon` / supervisord: placeholder until the daemon lands.
export async function runDaemon(_args: string[], progname: string): Promise<number> {
  process.stderr.write(`${progname}: the daemon is not built yet in this version of tsv\n`);
  return 2;
}
