// A throwaway user with supplementary groups, for the tests that compare a
// child's identity with `id USER` (user= uses initgroups). Needs root.
import { execFileSync } from 'node:child_process';

const sh = (cmd: string): string => execFileSync('/bin/sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export interface TestUser {
  name: string;
  /** its supplementary groups' names */
  groups: string[];
  /** `id NAME`, what a child running as it must print */
  id: string;
}

/** Creates the user (prefix + pid) in `groups` new groups, runs body, and removes them all, also when body throws. */
export async function withTestUser<T>(prefix: string, groups: number, body: (u: TestUser) => Promise<T>): Promise<T> {
  const name = `${prefix}${process.pid % 100000}`;
  const names = Array.from({ length: groups }, (_, i) => `${name}${String.fromCharCode(97 + i)}`);
  const made: string[] = [];
  let user = false;
  try {
    for (const g of names) {
      sh(`groupadd ${g}`);
      made.push(g);
    }
    sh(`useradd --no-create-home --shell /bin/sh${names.length ? ` -G ${names.join(',')}` : ''} ${name}`);
    user = true;
    return await body({ name, groups: names, id: sh(`id ${name}`).trim() });
  } finally {
    if (user) sh(`userdel ${name}`);
    for (const g of made) sh(`groupdel ${g}`);
  }
}
