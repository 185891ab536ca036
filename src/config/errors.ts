// A configuration Supervisor would refuse. Unlike Supervisor, which often
// names only a section (or nothing), we always say where: file, line,
// section, option and the offending value, with a hint where one helps.

export interface ConfigErrorDetails {
  file?: string;
  line?: number;
  section?: string;
  option?: string;
  value?: string;
  hint?: string;
  /** the message names the file as the user gave it (a missing -c): its first line is then Supervisor's, with no location before it */
  fileInMessage?: boolean;
}

export class ConfigError extends Error {
  readonly file?: string;
  readonly line?: number;
  readonly section?: string;
  readonly option?: string;
  readonly value?: string;
  readonly hint?: string;
  private readonly fileInMessage: boolean;

  constructor(message: string, details: ConfigErrorDetails = {}) {
    super(message);
    this.name = 'ConfigError';
    this.file = details.file;
    this.line = details.line;
    this.section = details.section;
    this.option = details.option;
    this.value = details.value;
    this.hint = details.hint;
    this.fileInMessage = details.fileInMessage ?? false;
  }

  /** Where, as `file:line: [section] option`. */
  location(): string {
    const parts: string[] = [];
    if (this.file) parts.push(this.line ? `${this.file}:${this.line}` : this.file);
    const what: string[] = [];
    if (this.section) what.push(`[${this.section}]`);
    if (this.option) what.push(this.option);
    if (what.length) parts.push(what.join(' '));
    return parts.join(': ');
  }

  /** The text printed for a human: one error line, then the value and a hint. */
  render(): string {
    const loc = this.fileInMessage ? '' : this.location();
    let out = `Error: ${loc ? loc + ': ' : ''}${this.message}\n`;
    if (this.value !== undefined && !this.message.includes(this.value)) out += `  value: ${JSON.stringify(this.value)}\n`;
    if (this.hint) out += `  hint: ${this.hint}\n`;
    return out;
  }

  toJSON(): Record<string, unknown> {
    return {
      error: this.message,
      file: this.file ?? null,
      line: this.line ?? null,
      section: this.section ?? null,
      option: this.option ?? null,
      value: this.value ?? null,
      hint: this.hint ?? null,
    };
  }
}
