# The same listener as acker.c, written the way users write listeners: with
# Supervisor's supervisor.childutils, under /usr/bin/python3.
#   acker.py GO_FILE OUT_FILE N
import os
import sys
import time

from supervisor import childutils

go, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
count = errors = 0
t0 = 0.0
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    if int(headers['serial']) != count:
        errors += 1
    count += 1
    if count == 1:
        while not os.path.exists(go):
            time.sleep(0.001)
        t0 = time.monotonic()
    childutils.listener.ok(sys.stdout)
    if count == n:
        with open(out, 'w') as f:
            f.write('%d %.6f %d\n' % (count - 1, time.monotonic() - t0, errors))
