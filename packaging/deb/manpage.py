#!/usr/bin/env python3
"""vigil(8) in man(7) roff, from `vigil --experimental-dump-help`: the argument parser's
own description of every command, option and flag (the JSON swift-argument-parser's
generate-manual plugin reads too), so the page cannot miss one.

    manpage.py VIGIL_BINARY VERSION DATE > vigil.8
"""
import json
import re
import subprocess
import sys


def esc(text):
    """Roff-safe text: backslashes, leading control characters, `code` as bold."""
    text = text.replace("\\", "\\e")
    text = re.sub(r"`([^`]+)`", lambda m: "\\fB" + m.group(1) + "\\fR", text)
    # Plain ASCII out: groff reads its input as Latin-1 unless told otherwise.
    text = "".join(c if ord(c) < 128 else "\\[u%04X]" % ord(c) for c in text)
    lines = []
    for line in text.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def opt(name):
    return name.replace("-", "\\-")


def arg_label(a):
    """`-f, --file file` for an option, `--host` for a flag, `instance` for a positional."""
    if a["kind"] == "positional":
        return "\\fI" + a["valueName"] + "\\fR"
    names = []
    for n in a.get("names", []):
        prefix = {"short": "-", "long": "--", "longWithSingleDash": "-"}[n["kind"]]
        names.append("\\fB" + opt(prefix + n["name"]) + "\\fR")
    label = ", ".join(names)
    if a["kind"] == "option":
        label += " \\fI" + a["valueName"] + "\\fR"
    return label


def synopsis(cmd_path, args):
    parts = ["\\fB" + cmd_path + "\\fR"]
    for a in args:
        if a["kind"] == "positional":
            p = "\\fI" + a["valueName"] + "\\fR"
        else:
            n = a["preferredName"]
            p = "\\fB" + opt(("-" if n["kind"] == "short" else "--") + n["name"]) + "\\fR"
            if a["kind"] == "option":
                p += " \\fI" + a["valueName"] + "\\fR"
        if a.get("isRepeating"):
            p += " ..."
        if a.get("isOptional"):
            p = "[" + p + "]"
        parts.append(p)
    return " ".join(parts)


def shown(args):
    return [a for a in args if a.get("shouldDisplay", True)
            and a.get("preferredName", {}).get("name") not in ("help", "version")]


def main():
    binary, version, date = sys.argv[1:4]
    info = json.loads(subprocess.run([binary, "--experimental-dump-help"], check=True,
                                     capture_output=True, text=True).stdout)
    root = info["command"]
    out = []
    w = out.append
    w('.TH VIGIL 8 "%s" "vigil %s" "System Administration"' % (date, version))
    w(".SH NAME")
    w("vigil \\- " + esc(root["abstract"].rstrip(".")))
    w(".SH SYNOPSIS")
    w(".B vigil")
    w(".I command")
    w("[\\fIoptions\\fR]")
    w(".br")
    w(".B vigil")
    w("[\\fB\\-\\-version\\fR] [\\fB\\-h\\fR|\\fB\\-\\-help\\fR]")
    w(".SH DESCRIPTION")
    w(esc(root["abstract"]))
    w("Vigil reads keepalived.conf unchanged (see")
    w(".BR vigil.conf (5)).")
    w(".B vigil run")
    w("is the daemon; the other commands check a configuration, or talk to a running")
    w("daemon over its control socket.")
    w(".PP")
    w("Every command also takes")
    w("\\fB\\-h\\fR, \\fB\\-\\-help\\fR (its usage) and \\fB\\-\\-version\\fR (the version of this build).")
    w(".SH COMMANDS")
    for sub in root.get("subcommands", []):
        if not sub.get("shouldDisplay", True):
            continue
        name = "vigil " + sub["commandName"]
        args = shown(sub.get("arguments", []))
        w('.SS "%s"' % name)
        w(synopsis(name, args))
        w(".PP")
        w(esc(sub.get("abstract", "")))
        if sub.get("discussion"):
            w(".PP")
            w(esc(sub["discussion"]))
        for a in args:
            w(".TP")
            w(arg_label(a))
            text = esc(a.get("abstract", ""))
            if a.get("discussion"):
                text += "\n" + esc(a["discussion"])
            if a.get("defaultValue") not in (None, ""):
                text += " (default: \\fI" + esc(a["defaultValue"]) + "\\fR)"
            if text.strip():
                w(text.strip())
    w(".SH EXIT STATUS")
    w("0 on success; 1 when a configuration has errors or the daemon refuses a request;")
    w("2 on a usage or I/O error, or when")
    w(".B vigil run")
    w("cannot start (missing capabilities, another daemon in this network namespace).")
    w(".SH FILES")
    w(".TP")
    w(".I /etc/vigil/vigil.conf")
    w("The configuration")
    w(".RB ( vigil.conf (5)).")
    w(".TP")
    w(".I /run/vigil/vigil.pid")
    w("The pid file the systemd unit asks for.")
    w(".TP")
    w(".I /run/vigil/vigil.sock")
    w("The control socket of")
    w(".BR status ,")
    w(".BR reload ,")
    w(".BR drain ,")
    w(".BR undrain ,")
    w(".B priority")
    w("and")
    w(".BR resign .")
    w(".TP")
    w(".I /lib/systemd/system/vigil.service")
    w("The unit:")
    w(".B systemctl reload vigil")
    w("re-reads the configuration live.")
    w(".TP")
    w(".I /usr/share/doc/vigil/examples/vigil-script-user.conf")
    w("A drop-in for the unit when scripts run as another user")
    w(".RB ( script_user );")
    w("install it as")
    w(".IR /etc/systemd/system/vigil.service.d/script-user.conf .")
    w(".SH SEE ALSO")
    w(".BR vigil.conf (5),")
    w(".BR keepalived (8),")
    w(".BR keepalived.conf (5),")
    w(".BR ipvsadm (8),")
    w(".BR systemctl (1)")
    print("\n".join(out))


if __name__ == "__main__":
    main()
