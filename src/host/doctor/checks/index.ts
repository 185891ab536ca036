// Every check, in the order they are reported and fixed: the config first
// (everything else reads it), then the socket, pidfile and daemons, logs,
// the service, and the programs. Fixes run in this order too, so a stale
// socket is removed before the service is started.
import type { Check } from '../types';
import { configInvalid } from './config-invalid';
import { programUserUnknown } from './program-user-unknown';
import { socketUnderTmp } from './socket-under-tmp';
import { inetNoAuth } from './inet-no-auth';
import { inetPortInUse } from './inet-port-in-use';
import { rpcinterfaceMissing } from './rpcinterface-missing';
import { serverurlElsewhere } from './serverurl-elsewhere';
import { staleSocket } from './stale-socket';
import { socketMissing } from './socket-missing';
import { socketPermissions } from './socket-permissions';
import { socketEacces } from './socket-eacces';
import { daemonNotAnswering } from './daemon-not-answering';
import { stalePidfile } from './stale-pidfile';
import { twoDaemons } from './two-daemons';
import { programsRunTwice, supervisorProgramsLeft } from './supervisor-programs';
import { programsOrphaned } from './programs-orphaned';
import { logDirMissing } from './log-dir-missing';
import { runDirMissing } from './run-dir-missing';
import { runDirUnwritable } from './run-dir-unwritable';
import { logFsReadonly } from './log-fs-readonly';
import { logNotWritable } from './log-not-writable';
import { logDiskFull } from './log-disk-full';
import { logDeleted } from './log-deleted';
import { unitBinaryMissing } from './unit-binary-missing';
import { unitDisabled } from './unit-disabled';
import { unitInactive } from './unit-inactive';
import { unitUser } from './unit-user';
import { programDirectoryMissing } from './program-directory-missing';
import { programCommandNotFound, programCommandNotExecutable } from './program-command';

export const CHECKS: readonly Check[] = [
  configInvalid,
  programUserUnknown,
  // before the directory checks it explains, and before unit-inactive's start, which its drop-in lets succeed
  unitUser,
  runDirMissing,
  runDirUnwritable,
  socketUnderTmp,
  inetNoAuth,
  inetPortInUse,
  rpcinterfaceMissing,
  serverurlElsewhere,
  staleSocket,
  socketMissing,
  socketPermissions,
  socketEacces,
  daemonNotAnswering,
  stalePidfile,
  twoDaemons,
  programsRunTwice,
  programsOrphaned,
  supervisorProgramsLeft,
  logDirMissing,
  logFsReadonly,
  logNotWritable,
  logDiskFull,
  logDeleted,
  unitBinaryMissing,
  unitDisabled,
  unitInactive,
  programDirectoryMissing,
  programCommandNotFound,
  programCommandNotExecutable,
];
