#!/bin/sh
# One step of `make setup`, in one line of output; an installer's own output (pip's warnings,
# apt's debconf notes) only when the step fails, so that the reason is on screen.
#
#   sh course/setup_step.sh WHAT COMMAND [ARG...]
#       prints WHAT, runs the command with its output kept aside, shows that output if it fails.
#   sh course/setup_step.sh --program PROGRAM PACKAGE WHAT WITHOUT [ELSEWHERE]
#       a program the course uses besides Python: nothing to do when it is installed; as root
#       with apt-get (Debian, Ubuntu), installs PACKAGE; otherwise says what is missing, what
#       that means (WITHOUT) and how to install it (ELSEWHERE: another system's way).

step() {
    what=$1
    shift
    echo "$what"
    log=$(mktemp)
    if "$@" >"$log" 2>&1; then
        rm -f "$log"
        return 0
    else
        status=$?
        cat "$log"
        rm -f "$log"
        echo "make setup: this step failed: ${what%...} (its output is above)" >&2
        return "$status"
    fi
}

apt_install() {
    # stale or empty package lists (a fresh container has none): refresh them and try again
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" ||
        { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1"; }
}

program() {
    name=$1 package=$2 what=$3 without=$4 elsewhere=$5
    if command -v "$name" >/dev/null 2>&1; then
        return 0
    fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        step "Installing $what..." apt_install "$package"
    else
        echo "$what is not installed: $without."
        echo "Install it with:  sudo apt-get install $package${elsewhere:+   ($elsewhere)}"
    fi
}

if [ "$1" = --program ]; then
    shift
    program "$@"
else
    step "$@"
fi
