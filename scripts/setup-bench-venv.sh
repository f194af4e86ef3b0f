#!/usr/bin/env bash
# Dev-only: the Python peers and reference tools (datatrove, spaCy, datasketch, rensa) in
# bench/.venv, for the benchmarks and the fixture generators. Never a runtime dependency: npm start
# and npm test do not need it. Idempotent: an existing venv with every package is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=bench/.venv
packages=("datatrove[processing]==0.10.1" "spacy==3.8.*" "datasketch==2.0.*" "rensa==0.5.*" numpy)
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import datatrove, spacy, datasketch, rensa, numpy" 2>/dev/null; then
  echo "[bench venv] $venv is ready"
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet "${packages[@]}"
"$venv/bin/python" -c "from importlib.metadata import version as v; print('[bench venv] ready:', *(f'{p} {v(p)}' for p in ('datatrove', 'spacy', 'datasketch', 'rensa', 'numpy')))"
