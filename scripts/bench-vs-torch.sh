#!/usr/bin/env bash
# Developer tool (not needed to use benign-attention): times whole processes side by side, back to back, on one
# --data folder — benign-attention with engine=direct (float64 and float32) and engine=gram, then a reference
# implementation — and prints each wall and CPU time with the ratio reference / ours.
#
# Usage: scripts/bench-vs-torch.sh REFERENCE_SCRIPT DATA_DIR [key=value …]
#   REFERENCE_SCRIPT  a Python script run as: /usr/bin/python3 REFERENCE_SCRIPT DATA_DIR --lr LR --steps S
#                     --log-interval K --dtype float64 --threads 1 (the interface of the PyTorch reference used in
#                     docs/PERFORMANCE.md); it must print the final "...total_s=..." line.
#   DATA_DIR          a folder of .npy files (scripts/make-bench-data.py writes one)
#   key=value         run settings for both sides: num_steps (default 10000), log_interval (1), learning_rate (1e-4)
# Environment: BENIGN_ATTENTION, the command to run benign-attention (default: dotnet on the Release build of this
# checkout; build it first with `dotnet build -c Release`). PYTHON (default /usr/bin/python3). RUNS, which of our runs
# (default "direct-float64 direct-float32 gram-float64"; leave gram out when its nT × nT Gram matrix would not fit).
set -euo pipefail
if [ $# -lt 2 ]; then sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2; fi
reference=$1; data=$2; shift 2
[ -f "$reference" ] || { echo "reference script $reference: no such file" >&2; exit 2; }
[ -d "$data" ] || { echo "data folder $data: no such folder" >&2; exit 2; }
steps=10000; interval=1; lr=1e-4
for kv in "$@"; do
  case $kv in
    num_steps=*) steps=${kv#*=} ;;
    log_interval=*) interval=${kv#*=} ;;
    learning_rate=*) lr=${kv#*=} ;;
    *) echo "$kv: only num_steps, log_interval and learning_rate are passed to both sides" >&2; exit 2 ;;
  esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
cli=${BENIGN_ATTENTION:-"dotnet $root/src/BenignAttention.Cli/bin/Release/net10.0/benign-attention.dll"}
python=${PYTHON:-/usr/bin/python3}
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT

echo "load before: $(uptime)"
measure() {   # name, command…: prints "name wall cpu"
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$out/cpu" "$@" > "$out/$name.log" 2>&1 || { cat "$out/$name.log" >&2; exit 1; }
  t1=$(date +%s.%N)
  echo "$name $(echo "$t1 - $t0" | bc) $(awk '{print $1 + $2}' "$out/cpu")"
}
set_args="num_steps=$steps log_interval=$interval learning_rate=$lr"
runs=${RUNS:-"direct-float64 direct-float32 gram-float64"}
{
  for run in $runs; do
    case $run in
      direct-float64|direct-float32|gram-float64|gram-float32) ;;
      *) echo "RUNS: $run is not one of direct-float64 direct-float32 gram-float64 gram-float32" >&2; exit 2 ;;
    esac
    # shellcheck disable=SC2086
    measure "$run" $cli train --data "$data" -o "$out/$run" engine="${run%-*}" dtype="${run#*-}" $set_args
  done
  measure reference "$python" "$reference" "$data" --lr "$lr" --steps "$steps" --log-interval "$interval" --dtype float64 --threads 1
} > "$out/times"
echo "load after:  $(uptime)"
ref_wall=$(awk '$1 == "reference" {print $2}' "$out/times")
ref_cpu=$(awk '$1 == "reference" {print $3}' "$out/times")
printf '%-16s %10s %10s %16s %16s\n' run "wall (s)" "cpu (s)" "ref/ours wall" "ref/ours cpu"
while read -r name wall cpu; do
  printf '%-16s %10.2f %10.2f %15.1fx %15.1fx\n' "$name" "$wall" "$cpu" "$(echo "$ref_wall / $wall" | bc -l)" "$(echo "$ref_cpu / $cpu" | bc -l)"
done < "$out/times"
for name in $runs; do
  echo "$name: $(tr -d ' \n' < "$out/$name/summary.json" | grep -o '"timings_seconds":{[^}]*}')"
done
echo "reference: $(tail -2 "$out/reference.log" | tr '\n' ' ')"
