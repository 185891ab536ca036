# Oracle for the listener protocol: runs Supervisor's own
# PEventListenerDispatcher.handle_listener_state_change over scenarios read
# as JSON from stdin and prints, for each, the log lines, the rejected
# events and the final listener state.
#
# A scenario is a list of steps: {"feed": "<latin-1 text>"} appends output
# from the listener; {"send": "<event token>"} is the pool sending an event
# (only done when the listener is READY, as the pool does).
import json
import sys

from supervisor import events
from supervisor.dispatchers import PEventListenerDispatcher, default_handler
from supervisor.states import EventListenerStates, getEventListenerStateDescription
from supervisor.tests.base import DummyOptions, DummyPConfig, DummyProcess


class Dummy:
    pass


def run(steps):
    events.clear()
    rejected = []
    events.subscribe(events.EventRejectedEvent, lambda e: rejected.append(e.event))
    options = DummyOptions()
    config = DummyPConfig(options, 'process1', '/bin/process1')
    process = DummyProcess(config)
    process.group = Dummy()
    process.group.config = Dummy()
    process.group.config.result_handler = default_handler
    dispatcher = PEventListenerDispatcher(process, 'stdout', 0)
    for step in steps:
        if 'send' in step:
            if process.listener_state == EventListenerStates.READY:
                process.listener_state = EventListenerStates.BUSY
                process.event = step['send']
        else:
            dispatcher.state_buffer += step['feed'].encode('latin-1')
            dispatcher.handle_listener_state_change()
    return {
        'log': options.logger.data,
        'rejected': rejected,
        'state': getEventListenerStateDescription(process.listener_state),
    }


scenarios = json.load(sys.stdin)
json.dump([run(s) for s in scenarios], sys.stdout)
