#!/usr/bin/env bash
# The README's 2 000-run check of `sweep --shard`: one grid swept in one process and in 8 shards (one after the
# other here; on a cluster they run at once), merged, exported; runs.csv must be equal except the timing columns
# (setup_seconds, train_seconds, finished_utc), and curves.csv byte for byte.
#   scripts/shard-check.sh [benign-attention command …]   (default: dotnet run --project src/BenignAttention.Cli -c Release --)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd -P)"
if [ $# -gt 0 ]; then tool=("$@"); else
  dotnet build "$repo/src/BenignAttention.Cli" -c Release -v q >/dev/null
  tool=(dotnet "$repo/src/BenignAttention.Cli/bin/Release/net10.0/benign-attention.dll")
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/ba-shard-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT
grid=(embed_dim=10 train_n=6 seq_len=3 test_n=20 num_steps=100 learning_rate=0.05 log_interval=20 signal_norm=1:50:1 seed=0:39:1)
t0=$SECONDS
"${tool[@]}" sweep --out "$work/one" --jobs 2 "${grid[@]}" 2>/dev/null | tail -n 1
t1=$SECONDS
for k in 0 1 2 3 4 5 6 7; do "${tool[@]}" sweep --out "$work/sharded" --jobs 2 --shard "$k/8" "${grid[@]}" 2>/dev/null | tail -n 1; done
"${tool[@]}" merge "$work/sharded"
t2=$SECONDS
"${tool[@]}" export "$work/one" >/dev/null
"${tool[@]}" export "$work/sharded" >/dev/null
strip() { # runs.csv without its timing columns
  awk -F, 'NR==1 { for (i = 1; i <= NF; i++) if ($i != "setup_seconds" && $i != "train_seconds" && $i != "finished_utc") keep[i] = 1 }
           { line = ""; for (i = 1; i <= NF; i++) if (i in keep) line = line (line == "" ? "" : ",") $i; print line }' "$1"
}
rows=$(($(wc -l <"$work/one/runs.csv") - 1))
if cmp -s <(strip "$work/one/runs.csv") <(strip "$work/sharded/runs.csv") && cmp -s "$work/one/curves.csv" "$work/sharded/curves.csv"; then
  echo "equal: $rows runs (runs.csv except timing columns, curves.csv byte for byte); one process $((t1 - t0)) s, 8 shards + merge $((t2 - t1)) s"
else
  echo "DIFFERENT: runs.csv or curves.csv of the merged shards differ from the single process's"; exit 1
fi
