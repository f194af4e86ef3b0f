// node run.mjs path/to/minhash_wasm_check.wasm
import { readFileSync } from "node:fs";
const { instance } = await WebAssembly.instantiate(readFileSync(process.argv[2]), {});
const packed = instance.exports.check();
const compared = Number(packed >> 32n), mismatches = Number(packed & 0xffffffffn);
console.log(JSON.stringify({ wasm: process.argv[2], compared, mismatches }));
process.exit(mismatches === 0 && compared > 0 ? 0 : 1);
