// Words shared by the installer, the uninstaller and doctor.

export type InitSystem = 'systemd' | 'openrc' | 'sysv' | 'launchd';
export const INIT_SYSTEMS: readonly InitSystem[] = ['systemd', 'openrc', 'sysv', 'launchd'];

/** A boot service for the whole machine (root), or one for the calling user. */
export type Scope = 'system' | 'user';

/** The service is called this in every init system. */
export const SERVICE_NAME = 'tsv';
/** The group whose members may use the control socket without root. */
export const SOCKET_GROUP = 'tsv';

/** Where text goes: the command's stdout and stderr. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: Output = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** A failure the user can act on: printed without a stack trace. */
export class HostError extends Error {
  override name = 'HostError';
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

/** Bad flags or arguments: exit status 2. */
export class UsageError extends HostError {
  override name = 'UsageError';
}
