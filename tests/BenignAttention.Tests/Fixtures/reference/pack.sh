#!/bin/sh
# Packs the reference runs into the fixtures of this folder and checks the result.
#
#   usage: sh pack.sh SOURCE
#
# SOURCE holds one folder per case with the files described in README.md (X_train.npy, …,
# metrics.csv, config.json), as the runs were first written. For each case this writes
#   data.npz      the inputs of a run   (X_train, y_train, y_train_true, noisy_train, X_test, y_test[, W_init])
#   expected.npz  what training must give (attention, p_final[, W_final])
#   config.json, metrics.csv   copied unchanged
#   SHA256SUMS    checksums of every source file (the tests check the unpacked files against it)
# The .npz files are plain zip archives (deflate, level 9) whose members are the original .npy
# files byte for byte, so numpy.load, `unzip` and this library's Npz reader all open them.
# Needs: zip, unzip, cmp, sha256sum (POSIX sh).
set -eu
export TZ=UTC LC_ALL=C
[ $# -eq 1 ] || { echo "usage: sh pack.sh SOURCE" >&2; exit 2; }
src=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

for case in v1_benign_d500_mu20 v1_harmful_d1000_mu5 final_trainW_d200_mu20; do
  in=$src/$case
  out=$here/$case
  inputs="X_train.npy y_train.npy y_train_true.npy noisy_train.npy X_test.npy y_test.npy"
  expected="attention.npy p_final.npy"
  if [ -f "$in/W_init.npy" ]; then inputs="$inputs W_init.npy"; fi
  if [ -f "$in/W_final.npy" ]; then expected="$expected W_final.npy"; fi

  # Every source file must land somewhere: refuse a case folder with files this script does not know.
  known=$(printf '%s\n' $inputs $expected config.json metrics.csv | sort)
  found=$(cd "$in" && ls | sort)
  if [ "$known" != "$found" ]; then
    echo "pack.sh: $in holds other files than expected:" >&2
    printf 'expected:\n%s\nfound:\n%s\n' "$known" "$found" >&2
    exit 1
  fi

  mkdir -p "$out"
  work=$(mktemp -d)
  (cd "$in" && cp $inputs $expected "$work/")
  touch -t 198001010000 "$work"/*          # fixed member dates: the same files give the same archives
  rm -f "$out/data.npz" "$out/expected.npz"
  (cd "$work" && zip -q -9 -X "$out/data.npz" $inputs && zip -q -9 -X "$out/expected.npz" $expected)
  rm -f "$out/config.json" "$out/metrics.csv"
  cp "$in/config.json" "$in/metrics.csv" "$out/"
  chmod 644 "$out/config.json" "$out/metrics.csv"
  (cd "$in" && sha256sum $inputs $expected config.json metrics.csv) > "$out/SHA256SUMS"

  # Check: unpack both archives and compare every member with its source, byte for byte.
  check=$(mktemp -d)
  unzip -q "$out/data.npz" -d "$check"
  unzip -q "$out/expected.npz" -d "$check"
  for f in $inputs $expected; do cmp "$in/$f" "$check/$f"; done
  cp "$out/config.json" "$out/metrics.csv" "$check/"
  (cd "$check" && sha256sum -c --quiet "$out/SHA256SUMS")
  rm -rf "$work" "$check"
  echo "$case: $(du -k "$out/data.npz" | cut -f1) KiB data.npz, $(du -k "$out/expected.npz" | cut -f1) KiB expected.npz, all members identical"
done
