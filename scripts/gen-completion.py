#!/usr/bin/env python3
"""Write a bash completion script for ttleak-bpf or ttleak-gate from the
command's own --help, so the completion knows exactly the options the
binary has. Usage: gen-completion.py COMMAND-PATH NAME > FILE.

Both help formats are read: argp's ("  -j, --json=FILE   ...") and
argparse's ("  --json FILE   ..."). What an option's argument completes to
follows its metavar (VALUES below); after "--" the rest is a command line."""
import re
import subprocess
import sys

# metavar -> how its value completes (compgen arguments)
VALUES = {
    "FILE": "-f", "PATH": "-f", "REPORT": "-f", "DIR": "-d", "NAME": "-u",
    "PID": "-W \"$(cd /proc && compgen -G '[0-9]*')\"",
    "LIST": "-W 'pid command pid,command none'",
}

# An option line: 2 to 6 spaces (deeper lines continue a description), an
# optional short option, the long one, its metavar after "=" (argp) or " ".
OPTION = re.compile(r"^ {2,6}(?:-(\S), )?--([\w-]+)(?:[= ]([A-Z][A-Z:_]*))?")


def options(help_text):
    """{long option: (short option or None, metavar or None)}, in order, from a
    --help text."""
    found = {}
    for line in help_text.splitlines():
        m = OPTION.match(line)
        if m and m.group(2) not in found:
            found[m.group(2)] = (m.group(1), m.group(3))
    return found


TEMPLATE = r'''# bash completion for {name}, generated from `{name} --help` by
# scripts/gen-completion.py: options, their values, and the command after --.
_{fn}()
{{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}} opt i
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ ${{COMP_WORDS[i]}} == -- ]]; then
            if declare -F _command_offset >/dev/null; then
                _command_offset $((i + 1))
            elif ((COMP_CWORD == i + 1)); then
                COMPREPLY=($(compgen -c -- "$cur"))
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi
            return
        fi
    done
    # "--opt=value" is split at "=" (COMP_WORDBREAKS)
    opt=$prev
    if [[ $cur == = ]]; then
        cur=
    elif [[ $prev == = ]]; then
        opt=${{COMP_WORDS[COMP_CWORD-2]}}
    fi
    case $opt in
{cases}
    esac
    if [[ $cur == -* ]]; then  # else file names (complete -o default)
        COMPREPLY=($(compgen -W '{words}' -- "$cur"))
    fi
}}
complete -o default -F _{fn} {name}
'''


def script(name, opts):
    kinds = {}
    for opt, (short, metavar) in opts.items():
        if metavar:
            names = kinds.setdefault(VALUES.get(metavar), [])
            names += ["-" + short] if short else []
            names.append("--" + opt)
    cases = []
    for how, names in kinds.items():
        action = (f"COMPREPLY=($(compgen {how} -- \"$cur\"))" if how
                  else "COMPREPLY=()")  # a number or an address: nothing to offer
        cases.append(f"    {'|'.join(names)})\n        {action}\n        return ;;")
    words = " ".join("--" + o for o in opts) + " --"
    return TEMPLATE.format(name=name, fn=name.replace("-", "_"), cases="\n".join(cases),
                           words=words)


def main():
    path, name = sys.argv[1], sys.argv[2]
    r = subprocess.run([path, "--help"], capture_output=True, text=True, check=True)
    opts = options(r.stdout)
    if not opts:
        sys.exit(f"gen-completion: no option found in {path} --help")
    sys.stdout.write(script(name, opts))


if __name__ == "__main__":
    main()
