//! Exports `check() -> u64`: (documents compared << 32) | mismatches, for every signature in the
//! datatrove fixture (112, 128 and 32-bit variants), computed from the raw text inside wasm.

use datasieve::dedup::minhash::{HashWidth, MinHasher, MinhashParams};

const FIXTURE: &str = include_str!("../../../../tests/fixtures/dedup/datatrove_signatures.jsonl");

#[no_mangle]
pub extern "C" fn check() -> u64 {
    let (mut compared, mut mismatches) = (0u64, 0u64);
    for (key, num_perm, width) in [
        ("sig112", 112, HashWidth::Bits64),
        ("sig128", 128, HashWidth::Bits64),
        ("sig112_32bit", 112, HashWidth::Bits32),
    ] {
        let hasher = MinHasher::new(&MinhashParams {
            ngram: 5,
            num_perm,
            width,
        })
        .unwrap();
        for line in FIXTURE.lines() {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            let Some(expected) = record.get(key) else {
                continue;
            };
            let mut signature = Vec::new();
            hasher.signature(record["text"].as_str().unwrap(), &mut signature);
            let expected: Vec<u64> = expected
                .as_array()
                .map(|a| a.iter().map(|v| v.as_u64().unwrap()).collect())
                .unwrap_or_default();
            compared += 1;
            if signature != expected {
                mismatches += 1;
            }
        }
    }
    compared << 32 | mismatches
}

/// A buffer of `len` bytes in wasm memory, for the host to fill (see `corpus.mjs`).
#[no_mangle]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    let mut buffer = std::mem::ManuallyDrop::new(Vec::<u8>::with_capacity(len));
    buffer.as_mut_ptr()
}

/// Signs every row of the JSONL corpus at `ptr..ptr + len` (the `text` field, 112 permutations,
/// what the near-dedup stage computes per row) and returns a checksum of the signatures: the
/// per-core signing throughput of wasm, compared with [`sign_corpus_bytes`] natively.
///
/// # Safety
/// `ptr..ptr + len` must be initialised bytes (from [`alloc`], filled by the host).
#[no_mangle]
pub unsafe extern "C" fn sign_corpus(ptr: *const u8, len: usize) -> u64 {
    sign_corpus_bytes(std::slice::from_raw_parts(ptr, len))
}

/// See [`sign_corpus`].
pub fn sign_corpus_bytes(corpus: &[u8]) -> u64 {
    #[derive(serde::Deserialize)]
    struct Row {
        text: String,
    }
    let hasher = MinHasher::new(&MinhashParams::default()).unwrap();
    let mut signature = Vec::new();
    let mut checksum = 0u64;
    for line in corpus.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let row: Row = serde_json::from_slice(line).unwrap();
        if hasher.signature(&row.text, &mut signature) {
            checksum = checksum.rotate_left(5) ^ signature[0];
        }
    }
    checksum
}

/// The permutation loop alone: `rounds` 112-permutation signatures of `shingle_count` distinct
/// shingle hashes (a document of that many word 5-grams). Returns a checksum; the host times it
/// (`node permute.mjs`, and `native-timing --permute` natively) as nanoseconds per
/// (shingle, permutation) pair.
#[no_mangle]
pub extern "C" fn permute(shingle_count: u32, rounds: u32) -> u64 {
    permute_rounds(shingle_count, rounds)
}

/// See [`permute`].
pub fn permute_rounds(shingle_count: u32, rounds: u32) -> u64 {
    let hasher = MinHasher::new(&MinhashParams::default()).unwrap();
    let mut checksum = 0u64;
    let mut signature = Vec::new();
    // A cheap, well-mixed stand-in for xxh64 shingle hashes (splitmix64), so the timing is the loop.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut shingles: Vec<u64> = vec![0; shingle_count as usize];
    for _ in 0..rounds {
        for shingle in &mut shingles {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            *shingle = z ^ (z >> 31);
        }
        hasher.signature_of_shingles(&shingles, &mut signature);
        checksum = checksum.rotate_left(5) ^ signature[0] ^ signature[111];
    }
    checksum
}
