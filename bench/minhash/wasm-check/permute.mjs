// node permute.mjs path/to/minhash_wasm_check.wasm [ROUNDS=3]
// The permutation loop alone in wasm (V8): nanoseconds per (shingle, permutation) pair for
// 112-permutation signatures of 1000-shingle documents (compare with `native-timing --permute`).
import { readFileSync } from "node:fs";
const { instance } = await WebAssembly.instantiate(readFileSync(process.argv[2]), {});
const [shingles, documents] = [1000, 20000];
for (let round = 0; round < Number(process.argv[3] ?? 3); round++) {
  const start = performance.now();
  const checksum = BigInt.asUintN(64, instance.exports.permute(shingles, documents));
  const ns = ((performance.now() - start) * 1e6) / (shingles * documents * 112);
  console.log(JSON.stringify({ wasm: true, ns_per_pair: ns, checksum: checksum.toString() }));
}
