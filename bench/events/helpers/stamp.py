# A childutils listener that writes "<time.time()> <first payload word>" for
# every event it receives, for the latency measurement.
#   stamp.py OUT_FILE
import sys
import time

from supervisor import childutils

out = open(sys.argv[1], 'a')
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    out.write('%.6f %s\n' % (time.time(), payload.split(' ', 1)[0]))
    out.flush()
    childutils.listener.ok(sys.stdout)
