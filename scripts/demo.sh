#!/bin/sh
# The README's first command: run tsv's main job on demo/supervisord.conf
# (no root needed), show what it does, and stop it again.
set -e
cd "$(dirname "$0")/.."
conf=demo/supervisord.conf
tsv=./bin/tsv
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

# a run of its own: the main log's lines below are this run's only
rm -f demo/run/*.log demo/run/*.log.*

say tsv config check -c $conf
$tsv config check -c $conf

say tsv daemon -c $conf
$tsv daemon -c $conf
trap '$tsv -c $conf shutdown >/dev/null 2>&1 || true' EXIT
sleep 4

say tsv -c $conf status
$tsv -c $conf status || true        # exit 3: the crasher is FATAL, on purpose

say tsv -c $conf tail site:ticker
$tsv -c $conf tail site:ticker

say tsv -c $conf logs -n 3 --no-follow
$tsv -c $conf logs -n 3 --no-follow

say tsv -c $conf ps
$tsv -c $conf ps

if command -v curl >/dev/null; then
  say "curl --unix-socket demo/run/tsv.sock http://localhost/metrics | grep 'state=.*} 1\$'"
  curl -s --unix-socket demo/run/tsv.sock http://localhost/metrics | grep 'state=.*} 1$'
fi

say tsv -c $conf stop site:*
$tsv -c $conf stop 'site:*'

say tsv -c $conf shutdown
$tsv -c $conf shutdown
trap - EXIT

say grep -E 'depends_on|fatalretrysecs|healthy' demo/run/supervisord.log
grep -E 'depends_on|fatalretrysecs|healthy' demo/run/supervisord.log

say tail -n 8 demo/run/supervisord.log
tail -n 8 demo/run/supervisord.log
printf '\nRun it yourself in the foreground: %s daemon -n -c %s  (Ctrl-C stops it)\n' "$tsv" "$conf"
