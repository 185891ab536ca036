// The script bash sources for Tab completion of tsv (`tsv completion bash`,
// and the packages' file in bash-completion's directory). It hands the line
// to `tsv __complete` (./completion.ts), which decides the words; this module
// holds only the text, so the packages can be built from it.
import { shJoin } from '../host/quote';

/** `tsv __complete` exits with this when bash should complete a path. */
export const FILES_EXIT = 3;

/**
 * The script for bash (`source <(tsv completion bash)`, or a file in
 * bash-completion's directory). It runs the tsv the command line names
 * (`./bin/tsv`), else the one on PATH; `tsv install --boot` gives the
 * command it installed (`command`), which need not be on PATH.
 */
export function bashScript(command?: readonly string[]): string {
  const find = command
    ? ''
    : `    # zsh's bashcompinit counts COMP_WORDS from 1
    local tsv=\${COMP_WORDS[0]:-\${COMP_WORDS[1]}}
    case \${tsv##*/} in
        tsv) ;;
        *) tsv=tsv ;;
    esac
`;
  const run = command ? shJoin(command) : '"$tsv"';
  return `# bash completion for tsv, and for supervisorctl and supervisord when they are tsv
# (made by \`tsv completion bash\`): the words come from \`tsv __complete\`, which
# asks the running daemon for program names.
_tsv_complete() {
${find}    local lead= reply word rc
    COMPREPLY=()
    reply=$(command ${run} __complete "$COMP_WORDBREAKS" "\${COMP_LINE:0:$COMP_POINT}" 2>/dev/null)
    rc=$?
    if [ "$rc" -eq ${FILES_EXIT} ]; then
        # a path: what comes before it in the word the shell replaces (--configuration=
        # where = does not split words, as in zsh), a tab, and its start
        lead=\${reply%%$'\t'*}
        reply=\${reply#*$'\t'}
        if [ -n "\${ZSH_VERSION-}" ]; then
            # zsh's compgen -f lists the current directory whatever the start: its own glob
            # (in eval: bash never parses it), with the options its bash emulation turns off
            eval 'setopt localoptions glob nullglob markdirs; reply=$(print -rl -- \${~reply}*)'
        else
            compopt -o filenames 2>/dev/null
            reply=$(compgen -f -- "$reply")
        fi
    elif [ "$rc" -ne 0 ]; then
        return 0
    fi
    while IFS= read -r word; do
        [ -n "$word" ] && COMPREPLY+=("$lead$word")
    done <<<"$reply"
}
complete -F _tsv_complete tsv supervisorctl supervisord
`;
}

/** The script `tsv completion bash` prints. */
export const BASH_SCRIPT = bashScript();

/** The same for zsh, through its emulation of bash's completion (which needs compinit's compdef). */
export const ZSH_SCRIPT = `(( $+functions[compdef] )) || { autoload -U +X compinit && compinit; }
autoload -U +X bashcompinit && bashcompinit
${BASH_SCRIPT}`;

/** `tsv completion SHELL`: the script for each shell there is one for. */
export const COMPLETION_SCRIPTS: ReadonlyMap<string, string> = new Map([
  ['bash', BASH_SCRIPT],
  ['zsh', ZSH_SCRIPT],
]);
