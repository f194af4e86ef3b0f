#!/usr/bin/env bash
# `npm start`: set up what is missing, build the optimised wasm and the native CLI, serve www/.
# Extra arguments go to the server, e.g. `npm start -- --port 9000`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

bash scripts/setup.sh
bash scripts/build-wasm.sh --release
echo "[start] cargo build --release -p datasieve-cli" >&2
cargo build --quiet --release -p datasieve-cli
echo "[start] CLI: target/release/datasieve" >&2
exec node scripts/serve.mjs "$@"
