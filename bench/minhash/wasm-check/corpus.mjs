// node corpus.mjs path/to/minhash_wasm_check.wasm CORPUS.jsonl [ROUNDS=3]
// Per-core signing throughput in wasm (V8): every row's 112-permutation signature, with the
// file already in memory (compare with `native-timing --corpus CORPUS.jsonl`; same checksum).
import { readFileSync } from "node:fs";
const { instance } = await WebAssembly.instantiate(readFileSync(process.argv[2]), {});
const corpus = readFileSync(process.argv[3]);
const ptr = instance.exports.alloc(corpus.length);
new Uint8Array(instance.exports.memory.buffer, ptr, corpus.length).set(corpus);
for (let round = 0; round < Number(process.argv[4] ?? 3); round++) {
  const start = performance.now();
  const checksum = BigInt.asUintN(64, instance.exports.sign_corpus(ptr, corpus.length));
  const seconds = (performance.now() - start) / 1000;
  console.log(JSON.stringify({ wasm: true, seconds, mb_per_s: corpus.length / 1e6 / seconds, checksum: checksum.toString() }));
}
