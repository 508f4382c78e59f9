#!/usr/bin/env bash
# Refresh constraints.txt: the exact versions of every runtime dependency and every extra
# (telegram, articles, dev, bench, and BERTopic for bench/bench_bertopic.py) that install
# together on this Python.
#
#     bash tools/lock.sh              # uses python3; PYTHON=python3.11 bash tools/lock.sh for another
#
# It builds a throw-away venv with the pip that ships with that Python (deliberately not
# upgraded: the README's commands must work with it), installs the project with all extras
# without any constraints, so that the newest releases the pyproject ranges admit are taken,
# and writes `pip freeze` of that venv. Then it checks the result: a second fresh venv
# installs the project from the new file and imports every optional module.
# Review `git diff constraints.txt` and run the tests before committing the new file.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/multivector-lock.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
echo "lock: Python $version, $("$PYTHON" -m pip --version | cut -d' ' -f1-2)"

"$PYTHON" -m venv "$WORK/venv"
pip="$WORK/venv/bin/python -m pip"
# A copy of the source: the build never writes build/ or *.egg-info into the checkout.
mkdir "$WORK/project" && cp -r src pyproject.toml README.md LICENSE "$WORK/project/"
$pip install --quiet "$WORK/project[telegram,articles,dev,bench]"
# BERTopic without its dependencies: they would pull sentence-transformers and torch, which
# bench_bertopic.py does not use (see BENCHMARKS.md).
$pip install --quiet --no-deps bertopic

{
    echo "# Exact versions that install and work together on Python $version; made by tools/lock.sh."
    echo "# Use with every install:  pip install -c constraints.txt '.[dev]'  (or any other extras)."
    echo "# To refresh:  bash tools/lock.sh"
    $pip freeze --exclude multivector | grep -v -E '^(pip|setuptools|wheel)==' | LC_ALL=C sort -f
} > "$WORK/constraints.txt"

# The check: a second venv installs from the new file and imports every optional extra.
"$PYTHON" -m venv "$WORK/check"
"$WORK/check/bin/python" -m pip install --quiet -c "$WORK/constraints.txt" "$WORK/project[telegram,articles,dev]"
"$WORK/check/bin/python" -c 'import telethon, trafilatura, lxml_html_clean, playwright.sync_api; print("lock: extras import")'

cp "$WORK/constraints.txt" constraints.txt
echo "lock: wrote constraints.txt ($(grep -c '==' constraints.txt) pins); review: git diff constraints.txt"
