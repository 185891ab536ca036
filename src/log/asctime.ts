// Supervisor's log time format in local time, 2024-01-31 12:00:00,123: the
// main log, syslog lines and `tsv events`. Its own module so the ctl's small
// bundle can print it without loading the log writers.

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

export function asctime(ms: number = Date.now()): string {
  const d = new Date(ms);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`
  );
}
