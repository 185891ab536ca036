// HTML text for the web pages: escaping and the frame every page shares.
// tsv's own markup and stylesheet; the hooks scripts and bookmarks rely on
// are Supervisor's (URLs, query fields, the status_msg div, the
// status{running,error,nominal} classes, the action links' names).

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value made safe for HTML. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

export interface PageFrame {
  title: string;
  /** already escaped HTML */
  body: string;
}

export function page(f: PageFrame): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(f.title)}</title>`,
    '<link href="stylesheets/supervisor.css" rel="stylesheet" type="text/css">',
    '</head>',
    '<body>',
    f.body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
