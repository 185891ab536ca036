import { writeOutput } from './output-errors';

declare const TSV_VERSION: string;

export const tsvVersion: string = typeof TSV_VERSION === 'string' ? TSV_VERSION : '0.0.0-dev';

/** The architecture as release names spell it: x64, arm64, armv7l. */
export function archName(): string {
  if (process.arch !== 'arm') return process.arch;
  // Node calls every 32-bit ARM "arm"; the build records which one.
  const v = (process.config.variables as Record<string, unknown>).arm_version;
  return typeof v === 'string' || typeof v === 'number' ? `armv${v}l` : 'arm';
}

/** tsv's version, the Node it runs on (the embedded one in a single executable) and the architecture. */
export function versionLine(): string {
  return `tsv ${tsvVersion} (node ${process.version}, ${archName()})`;
}

/** Prints the version line with a plain write(2): process.stdout on a pipe or tty would load node:net and streams. */
export function printVersion(): number {
  writeOutput(1, versionLine() + '\n');
  return 0;
}
