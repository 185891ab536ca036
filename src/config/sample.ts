// `tsv config sample` / echo_supervisord_conf: a starting config in our own
// words. Everything lives next to the file (%(here)s), so it works as-is for
// a user without root, and nothing is put in /tmp, where cleaners delete
// sockets under running daemons.

export const SAMPLE_CONFIG = `; tsv / Supervisor configuration. Save as supervisord.conf and run:
;   tsv daemon -c supervisord.conf      (or: supervisord -c supervisord.conf)
;   tsv status -c supervisord.conf      (or: supervisorctl -c supervisord.conf status)
;
; Syntax: "key = value" lines in [sections]. A ";" or "#" starts a comment only
; at the start of a line or after a space: "a=b;c" keeps ";c". Indented lines
; continue the previous value. %(here)s is the directory of this file; write
; %% for a literal percent sign. Environment variables are %(ENV_NAME)s.

[unix_http_server]
file = %(here)s/supervisor.sock   ; the control socket the ctl talks to
chmod = 0700                      ; who may use it (0770 plus chown= for a group)
;chown = me:mygroup
;username = admin                 ; ask for a password (both or neither)
;password = {SHA}hex-of-sha1      ; or a plain-text password

;[inet_http_server]               ; the same API over TCP; keep it on loopback
;port = 127.0.0.1:9001            ; or set a username and password
;username = admin
;password = change-me

[supervisord]
logfile = %(here)s/supervisord.log ; the daemon's own log
logfile_maxbytes = 50MB            ; rotate at this size (0 = never, needed for /dev/stdout)
logfile_backups = 10               ; keep this many rotated files
;logfile_rotate = none             ; tsv only: also rotate at the first line of a new hour, day, week or month (hourly, daily, ...)
loglevel = info                    ; critical, error, warn, info, debug, trace, blather
pidfile = %(here)s/supervisord.pid
childlogdir = %(here)s             ; where AUTO program logs go
nodaemon = false                   ; true: stay in the foreground (containers, systemd)
minfds = 1024                      ; raise the open-files limit to at least this
minprocs = 200                     ; raise the process limit to at least this
;umask = 022
;user = someone                    ; drop to this user after start (root only)
;environment = KEY="value",OTHER="x"

; The ctl needs this section to find the daemon.
[supervisorctl]
serverurl = unix://%(here)s/supervisor.sock
;prompt = tsv
;history_file = ~/.tsv_history

; Supervisor's XML-RPC interface; keep it so clients that expect it work.
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

; One [program:x] per program. Only command is required.
;[program:web]
;command = /usr/bin/python3 -m http.server 8080   ; no shell: use sh -c '...' for pipes
;directory = %(here)s
;autostart = true                  ; start with the daemon
;autorestart = unexpected          ; false, unexpected (exit code not in exitcodes) or true
;exitcodes = 0
;startsecs = 1                     ; must stay up this long to count as started
;startretries = 3                  ; attempts before FATAL (waits 1, 2, 3 ... s between)
;fatalretrysecs = 0                ; tsv only: start it again this long after it gave up (FATAL); 0: never
;restartpause = 0                  ; tsv only: an automatic restart after it exited waits this long
;pre_start_hook = /usr/local/bin/migrate ; tsv only: run before each start, which fails if it does (-/path: ignore its failure)
;pre_stop_hook = /usr/local/bin/drain ; tsv only: run before each stop's stopsignal
;cron = 0 4 * * *                 ; tsv only: start it at these times unless it runs (with autostart=false, startsecs=0: a job)
;cron_restart = 0 4 * * *         ; tsv only: restart it at these times while it runs
;restart_when_binary_changed = false ; tsv only: restart it when the file its command runs is replaced (a deploy)
;restart_directory_monitor = %(here)s/app ; tsv only: ... or when a file under this directory changes
;restart_file_pattern = *.py, *.html ; ... whose name matches (default *)
;restart_signal_when_file_changed = HUP ; ... send this signal instead of restarting it
;depends_on = db, cache            ; tsv only: start once these are RUNNING, stop before them
;healthcheck = http://127.0.0.1:8080/health ; tsv only: or https://…, tcp://HOST:PORT, or a command that exits 0; restarted when it stops answering
;healthcheck_interval = 10         ; tsv only: seconds between looks (also _timeout = 5, _retries = 3)
;healthcheck_start_period = 0      ; tsv only: seconds from RUNNING in which failed looks do not count (until one is answered)
;max_memory_restart = 500MB        ; tsv only: restarted when its processes hold more resident memory (looked at every 10 s)
;rlimit_nofile = 65536             ; tsv only: the program's own limits, set before user= (also rlimit_nproc, _core, _memlock, …)
;stopsignal = TERM
;stopwaitsecs = 10                 ; then SIGKILL
;stopasgroup = false               ; signal the whole process group (shell wrappers, npm)
;stopastree = false                ; tsv only: also what left the group or outlived the program
;user = www-data                   ; run as this user (the daemon must be root)
;redirect_stderr = false
;stdout_logfile = AUTO             ; AUTO, NONE or a path
;stdout_logfile_maxbytes = 10MB    ; rotate at this size (default 50MB; 0 = never)
;stdout_logfile_backups = 5        ; keep this many rotated files (default 10)
;stdout_logfile_timestamps = false ; tsv only: begin each line of the log file with the time it was read
;stdout_logfile_prefix = %(process_name)s | ; tsv only: begin each line with this (and a space): programs sharing /dev/stdout told apart
;stdout_logfile_compress = false   ; tsv only: gzip rotated backups (NAME.1.gz ...)
;stdout_logfile_rotate = none      ; tsv only: also rotate at the first output of a new hour, day (daily), week or month
;stderr_logfile = AUTO
;environment = PORT="8080"
;environment_file = /etc/default/app, -%(here)s/app.env ; tsv only: NAME=VALUE lines (systemd's format) read at each start, over environment=; - : may be missing
;numprocs = 1                      ; more than 1 needs %(process_num)s in process_name
;process_name = %(program_name)s

;[group:site]                      ; manage several programs together as site:*
;programs = web,worker
;priority = 999

;[eventlistener:alerts]            ; a program that receives events on stdin
;command = /usr/local/bin/my-listener
;events = PROCESS_STATE_FATAL

;[include]                         ; more config files, relative to this one
;files = conf.d/*.conf
`;

export function printSample(): void {
  process.stdout.write(SAMPLE_CONFIG);
}
