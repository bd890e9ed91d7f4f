#!/usr/bin/env bash
# PairLens GPU kit: runs the benchmark on a Linux x86-64 machine with no Node, no browser
# and no network (bench/gpu-kit.md). Everything it needs is in this folder; it needs
# python3 with PyTorch and numpy, tar, and a GPU with a Vulkan driver for WebGPU.
#
#   bash run.sh --out DIR [options]
#
# This script lives in the kit's core/ folder; use-lite's weights are in ../use-lite/ (the
# two folders can travel apart: without use-lite/ the script times the MiniLM-sized model only).
#
#   --out DIR            where the JSON goes (pairs.json, pairlens.json, torch.json,
#                        kit-results.json, summary.txt, run.log); required
#   --backend B          PairLens's TF.js backend: webgpu (default), wasm or cpu
#   --fallback B         with no WebGPU adapter, run PairLens on wasm or cpu instead
#                        (default: none, PairLens's part then says so and is skipped)
#   --device D           PyTorch's device: cuda (default), cpu or auto
#   --steps N            alpha points N on both sides (default 64)
#   --models LIST        minilm,use-lite (default both; use-lite only where its weights are)
#   --use-lite DIR       use-lite's weights (default: ../use-lite beside this folder)
#   --pairs LIST         short,medium,long (default all three)
#   --reverse-dims M     PyTorch: time M output dimensions of the papers' route and scale
#                        (default 0: all of them)
#   --pairlens-reverse-dims M   PairLens's own reverse route, extrapolated from M dims (default 16; 0: skip)
#   --auto-tol T         steps=auto's tolerance on the medium MiniLM pair, layer 0 (default 1e-3)
#   --auto-reference-steps N    its Clenshaw-Curtis reference run (default 512)
#   --no-auto            skip the steps=auto measurement
#   --node-timeout S     seconds for PairLens's part (default 300)
#   --torch-timeout S    seconds for PyTorch's part (default 150)
#   --python PY          the Python with PyTorch (default python3)
#   --work DIR           where the kit unpacks Node and writes the MiniLM-sized model
#                        (default ${TMPDIR:-/tmp}/pairlens-gpu-kit)
#   --skip-node, --skip-torch   run one half only
#   --selftest           only check that the kit's Node side starts (no benchmark)
#   --quick              small settings for a CPU test: N = 8, short pair, 8 reverse dims
set -uo pipefail

KIT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT=""
BACKEND=webgpu
FALLBACK=none
DEVICE=cuda
STEPS=64
MODELS=minilm,use-lite
PAIRS=short,medium,long
REVERSE_DIMS=0
PL_REVERSE_DIMS=16
AUTO_TOL=1e-3
AUTO_REF=512
AUTO=1
NODE_TIMEOUT=300
TORCH_TIMEOUT=150
PY="${PYTHON:-python3}"
WORK="${TMPDIR:-/tmp}/pairlens-gpu-kit"
USE_LITE="$KIT/../use-lite"
MODELS_GIVEN=0
RUN_NODE=1
RUN_TORCH=1
SELFTEST=0

die() { echo "run.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="${2:?}"; shift 2 ;;
    --backend) BACKEND="${2:?}"; shift 2 ;;
    --fallback) FALLBACK="${2:?}"; shift 2 ;;
    --device) DEVICE="${2:?}"; shift 2 ;;
    --steps) STEPS="${2:?}"; shift 2 ;;
    --models) MODELS="${2:?}"; MODELS_GIVEN=1; shift 2 ;;
    --use-lite) USE_LITE="${2:?}"; shift 2 ;;
    --pairs) PAIRS="${2:?}"; shift 2 ;;
    --reverse-dims) REVERSE_DIMS="${2:?}"; shift 2 ;;
    --pairlens-reverse-dims) PL_REVERSE_DIMS="${2:?}"; shift 2 ;;
    --auto-tol) AUTO_TOL="${2:?}"; shift 2 ;;
    --auto-reference-steps) AUTO_REF="${2:?}"; shift 2 ;;
    --no-auto) AUTO=0; shift ;;
    --node-timeout) NODE_TIMEOUT="${2:?}"; shift 2 ;;
    --torch-timeout) TORCH_TIMEOUT="${2:?}"; shift 2 ;;
    --python) PY="${2:?}"; shift 2 ;;
    --work) WORK="${2:?}"; shift 2 ;;
    --skip-node) RUN_NODE=0; shift ;;
    --skip-torch) RUN_TORCH=0; shift ;;
    --selftest) SELFTEST=1; shift ;;
    --quick) STEPS=8; PAIRS=short; REVERSE_DIMS=8; PL_REVERSE_DIMS=4; AUTO_TOL=1e-2; AUTO_REF=64; shift ;;
    -h|--help) sed -n '2,41p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown option $1 (--help lists them)" ;;
  esac
done
[ "$SELFTEST" = 1 ] || [ -n "$OUT" ] || die "--out DIR is required"

started=$(date +%s)
stamp() { echo "[kit $(( $(date +%s) - started )) s] $*"; }
# What a half's exit code means: run_status CODE TIMEOUT_S NO_DEVICE_MESSAGE (exit 3: no device).
run_status() {
  case $1 in
    0) echo "ran" ;;
    3) echo "$3" ;;
    124|137) echo "stopped after $2 s (partial results kept)" ;;
    *) echo "failed (exit $1)" ;;
  esac
}

kit() {
  stamp "PairLens GPU kit in $KIT"
  if [ -e "$USE_LITE/model.json" ]; then
    USE_LITE="$(cd "$USE_LITE" && pwd)"
  else
    case ",$MODELS," in
      *,use-lite,*)
        [ "$MODELS_GIVEN" = 1 ] && [ "$SELFTEST" = 0 ] && die "--models names use-lite, but its weights are not in $USE_LITE (carry the kit's use-lite/ folder)"
        MODELS="$(echo ",$MODELS," | sed 's/,use-lite,/,/; s/^,//; s/,$//')"
        stamp "use-lite's weights are not here ($USE_LITE): the MiniLM-sized model only"
        ;;
    esac
    USE_LITE=""
  fi
  "$PY" -c 'import json, sys; m = json.load(open(sys.argv[1])); print("  built %s from commit %s%s; Node %s, webgpu %s, %.1f MiB" % (m.get("builtAt"), m.get("gitCommit"), " (uncommitted changes)" if m.get("gitDirty") else "", m["node"]["version"], m.get("webgpu"), m["totalBytes"] / 2**20))' "$KIT/manifest.json" || true
  stamp "machine: $(uname -srm); $(nproc 2>/dev/null || echo '?') cores"
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/  GPU: /'
  fi

  # --- Vulkan for Dawn: the kit's loader where the system has none; NVIDIA's ICD where no
  # driver file is in the usual places (as on this workplace's GPU machines).
  if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
    if [ -e "$KIT/lib/libvulkan.so.1" ]; then
      export LD_LIBRARY_PATH="$KIT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
      stamp "no system libvulkan.so.1: using the kit's loader ($KIT/lib)"
    else
      stamp "no libvulkan.so.1 on this machine and none in the kit: WebGPU will find no adapter"
    fi
  fi
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
    [ -d "$d" ] && case ":${LD_LIBRARY_PATH:-}:" in *":$d:"*) ;; *) export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d" ;; esac
  done
  if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ]; then
    if ! ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json /usr/local/share/vulkan/icd.d/*.json >/dev/null 2>&1; then
      for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/icd.d/nvidia_icd.json; do
        if [ -e "$icd" ]; then
          export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"
          stamp "Vulkan driver file: $icd"
          break
        fi
      done
    fi
  fi

  # --- Unpack Node and the app (once per kit build; reused while the payload is unchanged).
  PAYLOAD_ID="$(cat "$KIT/manifest.json" "$KIT"/*.tar.xz 2>/dev/null | cksum | cut -d' ' -f1)"
  UNPACKED="$WORK/unpacked-$PAYLOAD_ID"
  if [ ! -x "$UNPACKED/node/bin/node" ] || [ ! -e "$UNPACKED/.complete" ]; then
    stamp "unpacking Node and the app into $UNPACKED"
    rm -rf "$UNPACKED" && mkdir -p "$UNPACKED" || die "cannot write $UNPACKED"
    for archive in "$KIT"/*.tar.xz; do
      if command -v xz >/dev/null 2>&1; then
        tar -xJf "$archive" -C "$UNPACKED" || die "cannot unpack $archive"
      else
        "$PY" -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' "$archive" "$UNPACKED" || die "cannot unpack $archive"
      fi
    done
    touch "$UNPACKED/.complete"
  fi
  NODE="$UNPACKED/node/bin/node"
  APP="$UNPACKED/app/pairlens-kit.mjs"
  "$NODE" --version >/dev/null || die "the kit's Node binary does not run here"
  stamp "Node $("$NODE" --version)"

  if [ "$SELFTEST" = 1 ]; then
    "$NODE" "$APP" selftest ${USE_LITE:+--use-lite "$USE_LITE"}
    return $?
  fi

  node_status="not run"
  torch_status="not run"

  # --- The MiniLM-sized random model, made from its seed (the same bytes as scripts/make-tiny-models.ts --shape minilm-l6).
  MINILM="$WORK/minilm-sized"
  case ",$MODELS," in
    *,minilm,*)
      EXPECT="$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1])).get("minilmSha256", ""))' "$KIT/manifest.json" 2>/dev/null)"
      stamp "making the MiniLM-sized random model in $MINILM"
      rm -rf "$MINILM"
      "$PY" "$KIT/torch_bench.py" make-minilm --out "$MINILM" ${EXPECT:+--expect-sha256 "$EXPECT"} || { stamp "MiniLM-sized model FAILED"; MINILM=""; }
      ;;
    *) MINILM="" ;;
  esac

  # --- The pairs both sides attribute: token ids and reference ids.
  stamp "pairs and token ids"
  "$NODE" "$APP" pairs --out "$OUT/pairs.json" ${USE_LITE:+--use-lite "$USE_LITE"} ${MINILM:+--minilm "$MINILM"} \
    --models "$MODELS" --pairs "$PAIRS" --steps "$STEPS" || die "could not write pairs.json"

  # --- PairLens.
  if [ "$RUN_NODE" = 1 ]; then
    stamp "PairLens on $BACKEND (at most $NODE_TIMEOUT s)"
    auto_args=(--auto-tol "$AUTO_TOL" --auto-reference-steps "$AUTO_REF")
    [ "$AUTO" = 1 ] || auto_args=(--no-auto)
    timeout --kill-after=10 "$NODE_TIMEOUT" "$NODE" "$APP" bench --out "$OUT/pairlens.json" --backend "$BACKEND" --fallback "$FALLBACK" \
      ${USE_LITE:+--use-lite "$USE_LITE"} ${MINILM:+--minilm "$MINILM"} --models "$MODELS" --pairs "$PAIRS" --steps "$STEPS" \
      --reverse-dims "$PL_REVERSE_DIMS" --deadline-s $(( NODE_TIMEOUT * 2 / 3 )) "${auto_args[@]}"
    node_status=$(run_status $? "$NODE_TIMEOUT" "no WebGPU adapter (give --fallback wasm to run on the CPU)")
    stamp "PairLens: $node_status"
  fi

  # --- PyTorch: the papers' algorithm and the forward route, same pairs, same N.
  if [ "$RUN_TORCH" = 1 ]; then
    stamp "PyTorch on $DEVICE (at most $TORCH_TIMEOUT s)"
    PYTHONUNBUFFERED=1 timeout --kill-after=10 "$TORCH_TIMEOUT" "$PY" "$KIT/torch_bench.py" bench --pairs "$OUT/pairs.json" \
      --out "$OUT/torch.json" --matrices "$OUT/pairlens.json" --device "$DEVICE" ${USE_LITE:+--use-lite "$USE_LITE"} \
      ${MINILM:+--minilm "$MINILM"} --steps "$STEPS" --reverse-dims "$REVERSE_DIMS"
    torch_status=$(run_status $? "$TORCH_TIMEOUT" "no CUDA device (give --device cpu to run on the CPU)")
    stamp "PyTorch: $torch_status"
  fi

  # --- Both sides joined.
  "$NODE" "$APP" combine --dir "$OUT" --kit "$KIT/manifest.json"
  stamp "PairLens: $node_status; PyTorch: $torch_status"
  stamp "done; results in $OUT (kit-results.json: fold it in with npm run gpu-kit -- --fold DIR)"
  [ "$node_status" = ran ] && [ "$torch_status" = ran ] && return 0
  [ "$RUN_NODE$RUN_TORCH" != 11 ] && { [ "$node_status" = ran ] || [ "$torch_status" = ran ]; } && return 0
  return 1
}

if [ -n "$OUT" ]; then
  mkdir -p "$OUT" || die "cannot create $OUT"
  OUT="$(cd "$OUT" && pwd)"
  kit 2>&1 | tee -a "$OUT/run.log"
  exit "${PIPESTATUS[0]}"
fi
kit
