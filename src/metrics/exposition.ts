// Prometheus's text exposition format, version 0.0.4: what every Prometheus
// server (and VictoriaMetrics, Grafana Agent, the OpenTelemetry collector's
// prometheus receiver) scrapes. Written here rather than with prom-client:
// prom-client's model is instrumentation (counters that only go up through
// inc(), default metrics that arm an event-loop-delay timer, which would wake
// an idle daemon), while /metrics is an exporter's snapshot of values the
// daemon already holds; what is left to a library is the escaping below.
// test/metrics.test.ts checks the output with the real promtool and a real
// Prometheus.
import { setImmediate as nextTurn } from 'node:timers/promises';

export type MetricType = 'gauge' | 'counter';

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** One sample: its labels as labelText renders them ('' for none), and its value; null: no sample. */
export type Emit = (labels: string, value: number | null) => void;

/** A metric whose samples come from rows (one row per program, or a single row for the daemon). */
export interface MetricFamily<R> {
  name: string;
  help: string;
  type: MetricType;
  samples(row: R, emit: Emit): void;
}

/** Label values: backslash, double quote and line feed escaped. */
function labelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : '\\' + c));
}

/** HELP text: backslash and line feed escaped. */
function helpText(v: string): string {
  return v.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

/** Go's ParseFloat spelling for the values JavaScript prints differently. */
function numberText(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/**
 * `name="value",…`, escaped: rendered once per program rather than once per
 * sample, so that 1000 programs' 16,000 samples cost string joins only.
 */
export function labelText(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .map((k) => `${k}="${labelValue(labels[k] as string)}"`)
    .join(',');
}

/** Two rendered label sets as one. */
export function withLabel(labels: string, more: string): string {
  return labels && more ? `${labels},${more}` : labels || more;
}

/** The text, family by family; a family with no samples is left out. */
export class Exposition {
  private readonly parts: string[] = [];

  /**
   * Every family over rows, the event loop let go every perTurn rows: all of
   * a family's samples must be together, so a family is the unit of order,
   * and rows the unit of work.
   */
  async add<R>(families: readonly MetricFamily<R>[], rows: readonly R[], perTurn = Infinity): Promise<void> {
    for (const f of families) {
      let header: string | null = `# HELP ${f.name} ${helpText(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
      const emit: Emit = (labels, value) => {
        if (value === null) return;
        if (header !== null) this.parts.push(header);
        header = null;
        this.parts.push(labels ? `${f.name}{${labels}} ${numberText(value)}\n` : `${f.name} ${numberText(value)}\n`);
      };
      for (let i = 0; i < rows.length; i++) {
        if (i > 0 && i % perTurn === 0) await nextTurn();
        f.samples(rows[i] as R, emit);
      }
    }
  }

  text(): string {
    return this.parts.join('');
  }
}
