// The commands that create and delete the `tsv` group (the control socket's
// group) on each platform.

export function createGroupArgv(name: string, platform: NodeJS.Platform): string[] {
  return platform === 'darwin' ? ['dseditgroup', '-o', 'create', '-r', 'tsv control socket', name] : ['groupadd', '--system', name];
}

export function deleteGroupArgv(name: string, platform: NodeJS.Platform): string[] {
  return platform === 'darwin' ? ['dseditgroup', '-o', 'delete', name] : ['groupdel', name];
}
