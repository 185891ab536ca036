declare const TSV_VERSION: string;

export const tsvVersion: string = typeof TSV_VERSION === 'string' ? TSV_VERSION : '0.0.0-dev';

export function versionLine(): string {
  return `tsv ${tsvVersion} (node ${process.version}, ${process.arch})`;
}
