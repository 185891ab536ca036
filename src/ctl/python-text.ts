// Small pieces of Python's text behaviour that supervisorctl's output depends
// on: %-style padding (which counts code points) and cmd.Cmd's columnize.
// (repr() and `s % mapping` live in src/config/pyformat.ts.)

/** Python's len(): code points, not UTF-16 units. */
export function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** '%-Ns' % s */
export function ljust(s: string, width: number): string {
  const n = pyLen(s);
  return n >= width ? s : s + ' '.repeat(width - n);
}

/** cmd.Cmd.columnize: a list of strings in as many columns as fit. */
export function columnize(list: readonly string[], displaywidth = 79): string {
  const size = list.length;
  if (size === 0) return '<empty>\n';
  if (size === 1) return `${list[0]}\n`;
  let nrows = 0;
  let ncols = 0;
  let colwidths: number[] = [];
  let found = false;
  for (nrows = 1; nrows < size; nrows++) {
    ncols = Math.floor((size + nrows - 1) / nrows);
    colwidths = [];
    let totwidth = -2;
    for (let col = 0; col < ncols; col++) {
      let colwidth = 0;
      for (let row = 0; row < nrows; row++) {
        const i = row + nrows * col;
        if (i >= size) break;
        colwidth = Math.max(colwidth, pyLen(list[i] as string));
      }
      colwidths.push(colwidth);
      totwidth += colwidth + 2;
      if (totwidth > displaywidth) break;
    }
    if (totwidth <= displaywidth) {
      found = true;
      break;
    }
  }
  if (!found) {
    nrows = size;
    ncols = 1;
    colwidths = [0];
  }
  let out = '';
  for (let row = 0; row < nrows; row++) {
    const texts: string[] = [];
    for (let col = 0; col < ncols; col++) {
      const i = row + nrows * col;
      texts.push(i >= size ? '' : (list[i] as string));
    }
    while (texts.length && !texts[texts.length - 1]) texts.pop();
    out += texts.map((t, col) => ljust(t, colwidths[col] ?? 0)).join('  ') + '\n';
  }
  return out;
}
