#!/usr/bin/python3
"""Ask the real Supervisor how it reads supervisord.conf files.

Usage: /usr/bin/python3 test/oracle/supervisor_dump.py FILE [FILE...]

For each FILE (in order) prints one JSON object on its own line: the object of
docs/config-show-json.md (without `sources`), built from what Supervisor's own
ServerOptions.realize() (the `supervisord -c FILE` parse, including its
user->uid check and logfile/pidfile normalization) and ClientOptions.realize()
(the [supervisorctl] section, as supervisorctl reads it) produced; or
{"file": ..., "error": "<Supervisor's message>"} when Supervisor rejects FILE.

Only the parse runs: no logger, no sockets, no pidfile, no log files. Values
that Supervisor does not keep in its config objects (process_num, user=, the
section a process or group came from) are read from the frame of the
Supervisor function that created the object, so the parse itself stays
entirely Supervisor's.

Run it with Debian's /usr/bin/python3, which has the supervisor package
(this was written against 4.2.5).
"""
import json
import os
import signal
import sys
import traceback

from supervisor import options as sup_options
from supervisor.datatypes import (
    Automatic,
    RestartUnconditionally,
    RestartWhenExitUnexpected,
)
from supervisor.events import EventTypes
from supervisor.loggers import LevelsByDescription

DEFAULT_RESULT_HANDLER = 'supervisor.dispatchers:default_handler'
NO_CTL_SECTION = '.ini file does not include supervisorctl section'

LEVEL_NAMES = {
    v: k for k, v in vars(LevelsByDescription).items() if not k.startswith('_')
}
EVENT_NAMES = {
    v: k for k, v in vars(EventTypes).items()
    if not k.startswith('_') and isinstance(v, type)
}


class Rejected(Exception):
    """What Supervisor's usage() would print after 'Error: ' before exit(2)."""


class SpecRef(object):
    """An import spec that resolved; kept as written so it can be printed.

    Supervisor only stores what import_spec() returns (it calls factories
    later, when servers start), so returning this instead changes nothing
    in the parse while keeping the spec string.
    """

    def __init__(self, spec, target):
        self.spec = spec
        self.target = target


def _caller_locals(depth=2):
    return sys._getframe(depth).f_locals


_tagged_process_classes = {}


def _tagged_process_class(klass):
    """A subclass of klass that remembers what _processes_from_section knew
    when it created the process config (process_num, numprocs, user=, ...)."""
    tagged = _tagged_process_classes.get(klass)
    if tagged is None:
        def __init__(self, options, **params):
            klass.__init__(self, options, **params)
            caller = _caller_locals()
            self.dump_process_num = caller['process_num']
            self.dump_numprocs = caller['numprocs']
            self.dump_user = caller['user']
            self.dump_section = caller['section']
            self.dump_program = caller['program_name']
            self.dump_group = caller['group_name']
        tagged = type('Dump' + klass.__name__, (klass,), {'__init__': __init__})
        _tagged_process_classes[klass] = tagged
    return tagged


class GroupTagger(object):
    """Replaces the three group config classes in supervisor.options while
    process_groups_from_parser runs, recording each group's kind and section."""

    def __init__(self, parser):
        self.hetero_sections = [
            s for s in parser.sections() if s.startswith('group:')
        ]
        self.hetero_seen = 0
        self.saved = {}

    def _make(self, name, kind):
        original = getattr(sup_options, name)
        tagger = self

        def __init__(self, *args, **kwargs):
            original.__init__(self, *args, **kwargs)
            frame = sys._getframe(1)
            # FastCGIGroupConfig.__init__ calls ProcessGroupConfig.__init__
            # through the module name: only the direct creation counts.
            if frame.f_code.co_name != 'process_groups_from_parser':
                return
            caller = frame.f_locals
            if kind == 'program' and 'program_name' not in caller:
                # Created by the [group:x] loop, which runs before any other
                # (its `section` variable is rebound by the member loop).
                self.dump_kind = 'group'
                self.dump_section = tagger.hetero_sections[tagger.hetero_seen]
                tagger.hetero_seen += 1
            else:
                self.dump_kind = kind
                self.dump_section = caller['section']

        return original, type('Dump' + name, (original,), {'__init__': __init__})

    def __enter__(self):
        for name, kind in (('ProcessGroupConfig', 'program'),
                           ('EventListenerPoolConfig', 'eventlistener'),
                           ('FastCGIGroupConfig', 'fcgi-program')):
            original, tagged = self._make(name, kind)
            self.saved[name] = original
            setattr(sup_options, name, tagged)
        return self

    def __exit__(self, *exc):
        for name, original in self.saved.items():
            setattr(sup_options, name, original)
        return False


class DumpServerOptions(sup_options.ServerOptions):
    def usage(self, msg):
        raise Rejected(str(msg))

    def import_spec(self, spec):
        return SpecRef(spec, sup_options.ServerOptions.import_spec(self, spec))

    def processes_from_section(self, parser, section, group_name, klass=None):
        klass = _tagged_process_class(klass or sup_options.ProcessConfig)
        return sup_options.ServerOptions.processes_from_section(
            self, parser, section, group_name, klass)

    def process_groups_from_parser(self, parser):
        with GroupTagger(parser):
            return sup_options.ServerOptions.process_groups_from_parser(
                self, parser)


class DumpClientOptions(sup_options.ClientOptions):
    def usage(self, msg):
        raise Rejected(str(msg))

    def import_spec(self, spec):
        return SpecRef(spec, sup_options.ClientOptions.import_spec(self, spec))


def logfile_value(v):
    if v is Automatic:
        return 'AUTO'
    return v


def autorestart_value(v):
    if v is RestartWhenExitUnexpected:
        return 'unexpected'
    if v is RestartUnconditionally:
        return True
    if v is False:
        return False
    raise AssertionError('unknown autorestart value %r' % (v,))


def signal_name(n):
    try:
        return signal.Signals(n).name[3:]
    except ValueError:
        # Supervisor also accepts 0..2 (SIG_DFL, SIG_IGN, SIG_SETMASK are in
        # its list of signal numbers); they have no name.
        return str(int(n))


def spec_string(v):
    return v.spec if isinstance(v, SpecRef) else repr(v)


def dump_supervisord(o):
    s = o.configroot.supervisord
    return {
        'logfile': o.logfile,
        'logfile_maxbytes': o.logfile_maxbytes,
        'logfile_backups': o.logfile_backups,
        'loglevel': LEVEL_NAMES.get(o.loglevel, o.loglevel),
        'pidfile': o.pidfile,
        'umask': o.umask,
        'nodaemon': bool(o.nodaemon),
        'silent': bool(o.silent),
        'minfds': o.minfds,
        'minprocs': o.minprocs,
        'nocleanup': bool(o.nocleanup),
        'childlogdir': o.childlogdir,
        'user': o.user,
        'directory': o.directory,
        'strip_ansi': bool(o.strip_ansi),
        'environment': dict(s.environment),
        'identifier': o.identifier,
    }


def dump_servers(o):
    out = []
    for c in o.server_configs:
        if c['family'] == sup_options.socket.AF_INET:
            out.append({
                'family': 'inet', 'name': c['name'], 'section': c['section'],
                'host': c['host'], 'port': c['port'],
                'username': c['username'], 'password': c['password'],
            })
        else:
            out.append({
                'family': 'unix', 'name': c['name'], 'section': c['section'],
                'file': c['file'], 'chmod': c['chmod'],
                'chown': list(c['chown']),
                'username': c['username'], 'password': c['password'],
            })
    return out


def dump_process(p):
    return {
        'name': p.name,
        'group': p.dump_group,
        'section': p.dump_section,
        'command': p.command,
        'directory': p.directory,
        'umask': p.umask,
        'priority': p.priority,
        'autostart': p.autostart,
        'autorestart': autorestart_value(p.autorestart),
        'startsecs': p.startsecs,
        'startretries': p.startretries,
        'uid': p.uid,
        'stdout_logfile': logfile_value(p.stdout_logfile),
        'stdout_logfile_maxbytes': p.stdout_logfile_maxbytes,
        'stdout_logfile_backups': p.stdout_logfile_backups,
        'stdout_capture_maxbytes': p.stdout_capture_maxbytes,
        'stdout_events_enabled': p.stdout_events_enabled,
        'stdout_syslog': p.stdout_syslog,
        'stderr_logfile': logfile_value(p.stderr_logfile),
        'stderr_logfile_maxbytes': p.stderr_logfile_maxbytes,
        'stderr_logfile_backups': p.stderr_logfile_backups,
        'stderr_capture_maxbytes': p.stderr_capture_maxbytes,
        'stderr_events_enabled': p.stderr_events_enabled,
        'stderr_syslog': p.stderr_syslog,
        'stopsignal': signal_name(p.stopsignal),
        'stopwaitsecs': p.stopwaitsecs,
        'stopasgroup': p.stopasgroup,
        'killasgroup': p.killasgroup,
        'exitcodes': list(p.exitcodes),
        'redirect_stderr': p.redirect_stderr,
        'environment': dict(p.environment or {}),
        'serverurl': p.serverurl,
        'process_num': p.dump_process_num,
        'numprocs': p.dump_numprocs,
        'program': p.dump_program,
        'user': p.dump_user,
    }


def dump_group(g):
    out = {
        'name': g.name,
        'kind': g.dump_kind,
        'section': g.dump_section,
        'priority': g.priority,
    }
    if g.dump_kind == 'eventlistener':
        out['buffer_size'] = g.buffer_size
        out['events'] = sorted(EVENT_NAMES.get(e, repr(e)) for e in g.pool_events)
        out['result_handler'] = spec_string(g.result_handler)
    if g.dump_kind == 'fcgi-program':
        out['socket'] = g.socket_config.url
    out['processes'] = [dump_process(p) for p in g.process_configs]
    return out


def dump_plugins(kind, factories):
    return [
        {'kind': kind, 'name': name, 'factory': spec_string(factory),
         'extras': dict(extras)}
        for name, factory, extras in factories
    ]


def read_ctl(path):
    """The [supervisorctl] section as supervisorctl reads it (main file only:
    supervisorctl does not follow [include])."""
    c = DumpClientOptions()
    try:
        c.realize(['-c', path], doc='', progname='supervisorctl')
    except Rejected as e:
        if str(e) == NO_CTL_SECTION:
            return {'present': False, 'serverurl': 'http://localhost:9001',
                    'username': None, 'password': None,
                    'prompt': 'supervisor', 'history_file': None}, []
        raise
    s = c.configroot.supervisorctl
    ctl = {'present': True, 'serverurl': s.serverurl, 'username': s.username,
           'password': s.password, 'prompt': s.prompt,
           'history_file': s.history_file}
    # The first factory is supervisorctl's built-in default plugin.
    return ctl, dump_plugins('ctlplugin', c.plugin_factories[1:])


def dump_file(path):
    o = DumpServerOptions()
    try:
        try:
            o.realize(['-c', path], doc='', progname='supervisord')
        except Rejected as e:
            return {'file': path, 'error': str(e)}
        try:
            ctl, ctlplugins = read_ctl(path)
        except Rejected as e:
            return {'file': path, 'error': str(e), 'rejected_by': 'supervisorctl'}
        prefix = 'Included extra file "'
        return {
            'file': path,
            'included': [i[len(prefix):-len('" during parsing')]
                         for i in o.parse_infos if i.startswith(prefix)],
            'warnings': [{'message': w} for w in o.parse_warnings],
            'infos': list(o.parse_infos),
            'supervisord': dump_supervisord(o),
            'servers': dump_servers(o),
            'supervisorctl': ctl,
            'groups': [dump_group(g) for g in o.process_group_configs],
            'plugins': dump_plugins('rpcinterface', o.rpcinterface_factories)
            + ctlplugins,
        }
    except Exception as e:
        # supervisord would die with a traceback: still a rejection.
        return {'file': path, 'error': '%s: %s' % (type(e).__name__, e),
                'uncaught': traceback.format_exc()}
    finally:
        o.poller.close()


def main(argv):
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    out = sys.stdout
    out.reconfigure(encoding='utf-8')
    for path in argv:
        out.write(json.dumps(dump_file(path), ensure_ascii=False, sort_keys=False))
        out.write('\n')
        out.flush()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
