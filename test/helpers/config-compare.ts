// Comparing tsv's `config show --json` object with the real Supervisor's
// (test/oracle/supervisor_dump.py), field by field.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

// Values tsv and Supervisor are allowed to disagree on (see docs/config-show-json.md):
// where a value came from, which files were read, messages, plugins, and the
// process user= (Supervisor keeps only the uid).
const IGNORED_TOP_LEVEL = new Set(['file', 'sources', 'included', 'infos', 'plugins', 'warnings']);
const IGNORED_EVERYWHERE = new Set(['sources']);
const IGNORED_IN_PROCESS = new Set(['user']);
// Objects whose keys are data (every key must match), not a fixed set of fields.
const DICT_FIELDS = new Set(['environment']);

function show(v: Json | undefined): string {
  return v === undefined ? '(missing)' : JSON.stringify(v);
}

export function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Every place where tsv's value differs from Supervisor's, as "path: Supervisor
 * X, tsv Y", in document order. Only the fields Supervisor's object has are
 * compared, except in data dictionaries (environment=), where extra keys count.
 */
function differences(expected: Json, actual: Json | undefined, path: string, out: string[]): void {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) {
      out.push(`${path}: Supervisor ${show(expected)}, tsv ${show(actual)}`);
      return;
    }
    if (expected.length !== actual.length) {
      const names = (a: Json[]): string =>
        JSON.stringify(a.map((x) => (isObject(x) && 'name' in x ? x.name : x)));
      out.push(`${path}: Supervisor has ${expected.length} entries ${names(expected)}, tsv ${actual.length} ${names(actual)}`);
      return;
    }
    expected.forEach((e, i) => differences(e, actual[i], `${path}[${i}]`, out));
    return;
  }
  if (isObject(expected)) {
    if (!isObject(actual)) {
      out.push(`${path}: Supervisor ${show(expected)}, tsv ${show(actual)}`);
      return;
    }
    const key = path.slice(path.lastIndexOf('.') + 1);
    if (DICT_FIELDS.has(key)) {
      const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
      for (const k of keys) {
        if (expected[k] !== actual[k]) out.push(`${path}.${k}: Supervisor ${show(expected[k])}, tsv ${show(actual[k])}`);
      }
      return;
    }
    const inProcess = /\.processes\[\d+\]$/.test(path);
    for (const [k, v] of Object.entries(expected)) {
      if (IGNORED_EVERYWHERE.has(k) || (inProcess && IGNORED_IN_PROCESS.has(k))) continue;
      differences(v, actual[k], `${path}.${k}`, out);
    }
    return;
  }
  if (expected !== actual) out.push(`${path}: Supervisor ${show(expected)}, tsv ${show(actual)}`);
}

export function compareConfigs(sup: JsonObject, ours: JsonObject): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(sup)) {
    if (IGNORED_TOP_LEVEL.has(k)) continue;
    if (k === 'supervisorctl' && isObject(v) && v.present === false) {
      // Without the section supervisorctl refuses the file: only presence means something.
      const theirs = ours.supervisorctl;
      const present = isObject(theirs) ? theirs.present : undefined;
      if (present !== false) out.push(`supervisorctl.present: Supervisor false, tsv ${show(present)}`);
      continue;
    }
    differences(v, ours[k], k, out);
  }
  return out;
}

