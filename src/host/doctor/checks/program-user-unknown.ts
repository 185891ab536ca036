// user= names a user the system does not have: Supervisor (and tsv) refuse
// the whole config, not just the program.
import type { ConfigError } from '../../../config/errors';
import type { Check } from '../types';
import { ok, skipped } from '../types';

export function isUserError(err: ConfigError): boolean {
  return err.option === 'user' && /Invalid user/.test(err.message);
}

export const programUserUnknown: Check = {
  id: 'program-user-unknown',
  title: 'a program runs as a user that does not exist',
  run(ctx) {
    const err = ctx.configError;
    if (err && isUserError(err)) {
      return {
        id: this.id,
        status: 'problem',
        found: `${err.location()}: ${err.message}`,
        why: 'the whole config is refused while one user= is unknown: the daemon does not start and no program runs',
        fix: `create the user (useradd --system --no-create-home ${err.value ?? 'NAME'}) or fix the name in ${err.file ?? ctx.configFile}${err.line ? ` line ${err.line}` : ''}`,
      };
    }
    if (!ctx.config) return skipped(this.id, 'no readable config');
    const users = [...new Set(ctx.facts?.processes.map((p) => p.user).filter((u): u is string => u !== null))];
    return ok(this.id, users.length ? `every user= exists (${users.join(', ')})` : 'no program sets user=');
  },
};
