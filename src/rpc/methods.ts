// The XML-RPC method table as data: every public method of Supervisor 4.2.5's
// `supervisor` and `system` namespaces (aliases included), its parameters,
// how many trailing ones are optional, and the help text system.methodHelp
// returns. The @param/@return tags carry the same types as Supervisor's
// docstrings, so system.methodSignature (parsed from these tags, as
// Supervisor parses its docstrings) answers exactly as Supervisor does; the
// prose is ours.

export type RpcType = 'string' | 'int' | 'boolean' | 'array' | 'struct';

export interface MethodDoc {
  /** [type, name, description] in call order */
  params: [RpcType, string, string][];
  /** trailing parameters that may be left out (wait=true) */
  optional: number;
  returns: [RpcType, string];
  summary: string;
}

const NAME: [RpcType, string, string] = ['string', 'name', "process name, or 'group:name'"];
const OFFSET: [RpcType, string, string] = ['int', 'offset', 'byte offset to start at'];
const LENGTH: [RpcType, string, string] = ['int', 'length', 'number of bytes to return'];
const WAIT_START: [RpcType, string, string] = ['boolean', 'wait', 'answer only once the process has started (default true)'];
const WAIT_STOP: [RpcType, string, string] = ['boolean', 'wait', 'answer only once the process has stopped (default true)'];
const GROUP: [RpcType, string, string] = ['string', 'name', 'group name'];
const SIGNAL: [RpcType, string, string] = ['string', 'signal', "signal name ('HUP') or number ('1')"];
const RESULTS: [RpcType, string] = ['array', 'one result struct (name, group, status, description) per process'];
const TRUE: [RpcType, string] = ['boolean', 'true unless a fault is raised'];

const readLogDoc = (what: string): MethodDoc => ({
  params: [OFFSET, LENGTH],
  optional: 0,
  returns: ['string', `bytes of ${what}`],
  summary: `Read bytes of ${what}: a negative offset with length 0 reads that many bytes from the end; length 0 reads to the end.`,
});

const readProcessLogDoc = (channel: string): MethodDoc => ({
  params: [NAME, OFFSET, LENGTH],
  optional: 0,
  returns: ['string', `bytes of the process's ${channel} log`],
  summary: `Read bytes of a process's ${channel} log, with the offset rules of readLog.`,
});

const tailProcessLogDoc = (channel: string): MethodDoc => ({
  params: [NAME, OFFSET, ['int', 'length', 'largest number of bytes to return']],
  optional: 0,
  returns: ['array', '[bytes, next offset, overflow flag]'],
  summary:
    `Follow a process's ${channel} log cheaply: returns the newest bytes (at most length) with the log size as the ` +
    'next offset; the overflow flag is set when more than length bytes were added since offset.',
});

const DOCS: Record<string, MethodDoc> = {
  'supervisor.getAPIVersion': { params: [], optional: 0, returns: ['string', 'version of the RPC API'], summary: 'The version of the RPC API this daemon speaks.' },
  'supervisor.getSupervisorVersion': {
    params: [],
    optional: 0,
    returns: ['string', 'version of Supervisor this daemon is compatible with'],
    summary: 'The Supervisor version the daemon answers as.',
  },
  'supervisor.getIdentification': { params: [], optional: 0, returns: ['string', 'the identifier setting'], summary: "The daemon's identifier." },
  'supervisor.getState': {
    params: [],
    optional: 0,
    returns: ['struct', 'statecode (int) and statename (string)'],
    summary: "The daemon's own state.",
  },
  'supervisor.getPID': { params: [], optional: 0, returns: ['int', 'process id'], summary: "The daemon's process id." },
  'supervisor.readLog': readLogDoc('the main log'),
  'supervisor.clearLog': { params: [], optional: 0, returns: TRUE, summary: 'Empty the main log and reopen it.' },
  'supervisor.shutdown': { params: [], optional: 0, returns: TRUE, summary: 'Stop every process, then exit the daemon.' },
  'supervisor.restart': { params: [], optional: 0, returns: TRUE, summary: 'Stop every process, read the configuration again and start over.' },
  'supervisor.reloadConfig': {
    params: [],
    optional: 0,
    returns: ['array', '[[added, changed, removed]] lists of group names'],
    summary: 'Read the configuration file again and report how its groups differ from the running ones, without applying anything.',
  },
  'supervisor.addProcessGroup': {
    params: [['string', 'name', 'group to add']],
    optional: 0,
    returns: ['boolean', 'true when the group was added'],
    summary: 'Make a group from the last configuration read active.',
  },
  'supervisor.removeProcessGroup': {
    params: [['string', 'name', 'group to remove']],
    optional: 0,
    returns: ['boolean', 'true when the group was removed'],
    summary: 'Remove a group whose processes are all stopped from the active configuration.',
  },
  'supervisor.startProcess': {
    params: [['string', 'name', "process name, 'group:name' or 'group:*'"], WAIT_START],
    optional: 1,
    returns: TRUE,
    summary: 'Start a process (or every process of a group).',
  },
  'supervisor.startProcessGroup': {
    params: [GROUP, WAIT_START],
    optional: 1,
    returns: RESULTS,
    summary: 'Start the processes of a group that are not running.',
  },
  'supervisor.startAllProcesses': { params: [WAIT_START], optional: 1, returns: RESULTS, summary: 'Start every process that is not running, in priority order.' },
  'supervisor.stopProcess': {
    params: [['string', 'name', "process name, 'group:name' or 'group:*'"], WAIT_STOP],
    optional: 1,
    returns: TRUE,
    summary: 'Stop a process (or every process of a group).',
  },
  'supervisor.stopProcessGroup': { params: [GROUP, WAIT_STOP], optional: 1, returns: RESULTS, summary: 'Stop the running processes of a group.' },
  'supervisor.stopAllProcesses': { params: [WAIT_STOP], optional: 1, returns: RESULTS, summary: 'Stop every running process.' },
  'supervisor.signalProcess': {
    params: [['string', 'name', "process name, 'group:name' or 'group:*'"], SIGNAL],
    optional: 0,
    returns: ['boolean', ''],
    summary: 'Send a signal to a process (or every process of a group).',
  },
  'supervisor.signalProcessGroup': { params: [GROUP, SIGNAL], optional: 0, returns: ['array', ''], summary: 'Send a signal to the signallable processes of a group.' },
  'supervisor.signalAllProcesses': { params: [SIGNAL], optional: 0, returns: RESULTS, summary: 'Send a signal to every signallable process.' },
  'supervisor.getAllConfigInfo': {
    params: [],
    optional: 0,
    returns: ['array', 'one configuration struct per process, groups flattened'],
    summary: 'The configuration of every process the daemon knows, active or not.',
  },
  'supervisor.getProcessInfo': {
    params: [NAME],
    optional: 0,
    returns: ['struct', 'state, times, pid, log files and description of the process'],
    summary: 'Everything about one process.',
  },
  'supervisor.getAllProcessInfo': {
    params: [],
    optional: 0,
    returns: ['array', 'one getProcessInfo struct per process'],
    summary: 'Everything about every process, sorted by group and process name.',
  },
  'supervisor.readProcessStdoutLog': readProcessLogDoc('stdout'),
  'supervisor.readProcessStderrLog': readProcessLogDoc('stderr'),
  'supervisor.tailProcessStdoutLog': tailProcessLogDoc('stdout'),
  'supervisor.tailProcessStderrLog': tailProcessLogDoc('stderr'),
  'supervisor.clearProcessLogs': { params: [NAME], optional: 0, returns: TRUE, summary: "Empty a process's stdout and stderr logs and reopen them." },
  'supervisor.clearAllProcessLogs': { params: [], optional: 0, returns: RESULTS, summary: 'Empty the logs of every process.' },
  'supervisor.sendProcessStdin': {
    params: [
      ['string', 'name', "process name, or 'group:name'"],
      ['string', 'chars', 'data to write (sent as UTF-8)'],
    ],
    optional: 0,
    returns: TRUE,
    summary: "Write to a running process's standard input.",
  },
  'supervisor.sendRemoteCommEvent': {
    params: [
      ['string', 'type', 'value of the "type" header of the event'],
      ['string', 'data', 'body of the event'],
    ],
    optional: 0,
    returns: ['boolean', ''],
    summary: 'Emit a REMOTE_COMMUNICATION event to the event listeners that subscribe to it.',
  },
  'system.listMethods': { params: [], optional: 0, returns: ['array', 'names of every method'], summary: 'The names of every method this server answers.' },
  'system.methodHelp': {
    params: [['string', 'name', 'method name']],
    optional: 0,
    returns: ['string', 'the help text'],
    summary: 'The help text of a method.',
  },
  'system.methodSignature': {
    params: [['string', 'name', 'method name']],
    optional: 0,
    returns: ['array', '[return type, parameter types...]'],
    summary: 'The return type and parameter types of a method.',
  },
  'system.multicall': {
    params: [['array', 'calls', "structs {'methodName': string, 'params': array}"]],
    optional: 0,
    returns: ['array', 'for each call its value, or a struct with faultCode and faultString'],
    summary: 'Run several calls in one request, one after the other; a call that waits holds back the ones after it.',
  },
};

/** Supervisor's backward-compatible aliases: alias -> method. */
export const ALIASES: Record<string, string> = {
  'supervisor.getVersion': 'supervisor.getAPIVersion',
  'supervisor.readMainLog': 'supervisor.readLog',
  'supervisor.readProcessLog': 'supervisor.readProcessStdoutLog',
  'supervisor.tailProcessLog': 'supervisor.tailProcessStdoutLog',
  'supervisor.clearProcessLog': 'supervisor.clearProcessLogs',
};

export function methodDoc(name: string): MethodDoc | undefined {
  return DOCS[ALIASES[name] ?? name];
}


/** The help text: summary, then JavaDoc-like tags that system.methodSignature reads. */
export function helpText(doc: MethodDoc): string {
  const lines = [doc.summary, ''];
  for (const [type, name, text] of doc.params) lines.push(`@param ${type} ${name} ${text}`.trimEnd());
  lines.push(`@return ${doc.returns[0]} ${doc.returns[1]}`.trimEnd());
  return lines.join('\n');
}

/**
 * Supervisor's gettags(): JavaDoc-like tags of a docstring, from which
 * methodSignature builds [rtype, ptypes...]. Kept as Supervisor parses them so
 * that any help text (ours, or a plugin's later) yields the same signature.
 */
export function signatureFromHelp(text: string): string[] | null {
  let rtype: string | null = null;
  const ptypes: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('@')) continue;
    const parts = line.split(/\s+/);
    const tag = (parts[0] as string).slice(1);
    const datatype = parts.length > 1 ? (parts[1] as string) : '';
    if (tag === 'return') rtype = datatype;
    else if (tag === 'param') ptypes.push(datatype);
  }
  return rtype === null ? null : [rtype, ...ptypes];
}
