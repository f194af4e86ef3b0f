// node run.mjs path/to/minhash_wasm_check.wasm [ROUNDS]
// Checks the datatrove fixture signatures inside wasm, then times ROUNDS further runs of the check
// (JSON parse + simplify + tokenize + signatures for 3 configurations) for comparison with the
// native-timing binary.
import { readFileSync } from "node:fs";
const { instance } = await WebAssembly.instantiate(readFileSync(process.argv[2]), {});
const packed = instance.exports.check();
const compared = Number(packed >> 32n), mismatches = Number(packed & 0xffffffffn);
const rounds = Number(process.argv[3] ?? 20);
const start = performance.now();
for (let i = 0; i < rounds; i++) instance.exports.check();
const ms = performance.now() - start;
console.log(JSON.stringify({ wasm: process.argv[2], compared, mismatches, rounds, per_round_ms: ms / rounds }));
process.exit(mismatches === 0 && compared > 0 ? 0 : 1);
