#!/usr/bin/env bash
# Regenerates the README screenshots from the real binary on the demo image: each shot runs
# layerscope in a private tmux server, shows it in an xterm on a private X server (Xvfb), types
# the keys, and grabs the xterm window with ImageMagick's `import`.
# Needs: xvfb xterm imagemagick x11-utils tmux fonts-dejavu-core (apt-get install them).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in Xvfb xterm import xwininfo tmux; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install xvfb xterm imagemagick x11-utils tmux fonts-dejavu-core" >&2; exit 2; }
done
cargo build --release --quiet
cargo build --release --quiet --example compare_pair
BIN="$PWD/target/release/layerscope"
SOCK="layerscope-shots-$$"
DISP=":$((90 + RANDOM % 100))"
Xvfb "$DISP" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
XVFB=$!
CFG=$(mktemp -d)
PAIR=$(mktemp -d)
cleanup() { kill "$XVFB" 2>/dev/null || true; rm -rf "$CFG" "$PAIR"; }
trap cleanup EXIT
export DISPLAY="$DISP"
sleep 1

# shot NAME KEYS... : fresh TUI on the demo image (or on `$SHOT_ARGS`), keys sent one by one, then
# a capture.
shot() {
  local name=$1; shift
  local sock="$SOCK-$name"
  tmux -L "$sock" -f /dev/null new-session -d -s s -x 140 -y 40 \
    "env -u NO_COLOR XDG_CONFIG_HOME='$CFG' TERM=tmux-256color '$BIN' ${SHOT_ARGS:-}; sleep 60"
  tmux -L "$sock" set -g status off >/dev/null
  tmux -L "$sock" set -g default-terminal tmux-256color >/dev/null
  xterm -T "lsshot-$name" -geometry 140x40+0+0 -fa 'DejaVu Sans Mono' -fs 10 -bg '#1e1e1e' -fg '#d4d4d4' \
    -e tmux -L "$sock" attach -t s &
  local xt=$!
  sleep 2.5
  for k in "$@"; do
    tmux -L "$sock" send-keys -t s "$k"
    sleep 0.25
  done
  sleep 1.2
  local id
  id=$(xwininfo -name "lsshot-$name" | awk '/Window id:/ {print $4}')
  import -window "$id" "screenshots/$name.png"
  kill "$xt" 2>/dev/null || true
  wait "$xt" 2>/dev/null || true
  tmux -L "$sock" kill-server 2>/dev/null || true
  echo "screenshots/$name.png"
}

# The layer that ran `rm -f /root/.netrc` (history row 11): .netrc is a ghost in the tree.
shot tree-ghost g j j j j j j j j j j j Enter C-l j
# Findings pane focused: every leak, by severity, with its status.
shot findings Tab Tab Tab
# Enter on the first finding: the preview at the match, ghost banner, secret masked.
shot preview-masked Tab Tab Tab Enter
# The explanation of that finding: why it persists and the fix.
shot explain Tab Tab Tab e
# The layer that rewrote /app/.env: diff against the version in layer 5.
shot version-diff g j j j j j j j j j j j j Tab / .env Enter j Enter d
# `layerscope diff` of two builds of one app: shared base, the step that changed, new and fixed
# secrets.
target/release/examples/compare_pair "$PAIR" >/dev/null
SHOT_ARGS="diff $PAIR/app-1.4.tar $PAIR/app-1.5.tar" shot compare
