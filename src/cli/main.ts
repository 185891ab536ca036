// Entry point of the one binary. The name it is invoked under picks the
// personality (supervisord, supervisorctl, echo_supervisord_conf), as with
// Supervisor's own console scripts; otherwise commander routes subcommands.
import { basename } from 'node:path';
import { runTsv } from './tsv';
import { runPersonality, personalityFor } from './personality';

function invokedName(): string {
  // Through a symlink, argv[1] keeps the link's name (node does not resolve it).
  // A single executable gets the argv[0] it was started with as argv[1] (Node
  // 20.11 and 24 alike), so the link's name too; execPath is the real binary.
  const script = process.argv[1] ?? '';
  return basename(script);
}

async function main(): Promise<void> {
  const personality = personalityFor(invokedName());
  const code = personality
    ? await runPersonality(personality, process.argv.slice(2))
    : await runTsv(process.argv.slice(2));
  if (typeof code === 'number') process.exitCode = code;
}

main().catch((err: unknown) => {
  // Last resort only: every expected failure is reported by its command.
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`tsv: internal error: ${msg}\n`);
  if (process.env.TSV_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  process.exitCode = 70;
});
