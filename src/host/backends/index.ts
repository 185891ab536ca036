import type { Backend } from '../service-spec';
import type { InitSystem } from '../types';
import { systemdBackend } from './systemd';
import { sysvBackend } from './sysv';
import { openrcBackend } from './openrc';
import { launchdBackend } from './launchd';

export function backendFor(init: InitSystem): Backend {
  switch (init) {
    case 'systemd':
      return systemdBackend;
    case 'sysv':
      return sysvBackend;
    case 'openrc':
      return openrcBackend;
    case 'launchd':
      return launchdBackend;
  }
}
