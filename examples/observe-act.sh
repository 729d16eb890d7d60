#!/bin/sh
# Drive the sim phone with observe/act only: open Settings, scroll to Display, turn on Dark
# theme. Shows how a script reads indices from the listing. Usage: examples/observe-act.sh
# [path/to/taploop]
set -eu
T=${1:-taploop}
DEV=sim:example

# the listing index of the first line whose first label is exactly $1
index_of() {
    "$T" observe --device "$DEV" | sed -n "s/^\[\([0-9]*\)\] [A-Za-z]* \"$1\".*/\1/p" | head -n 1
}

"$T" act reset --device "$DEV"
"$T" act start_app com.android.settings --device "$DEV"
i=""
for _ in 1 2 3 4 5; do
    i=$(index_of Display)
    [ -n "$i" ] && break
    "$T" act scroll down --device "$DEV"
done
[ -n "$i" ] || { echo "Display not found" >&2; exit 1; }
"$T" act tap --index "$i" --device "$DEV"
"$T" act tap --index "$(index_of 'Dark theme')" --device "$DEV"
"$T" observe --device "$DEV" | grep 'Dark theme'
