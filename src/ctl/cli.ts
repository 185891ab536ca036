// `tsv ctl` / supervisorctl: placeholder until the control plane lands.
export async function runCtl(_args: string[], progname: string): Promise<number> {
  process.stderr.write(`${progname}: the control client is not built yet in this version of tsv\n`);
  return 2;
}
