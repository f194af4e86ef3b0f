#![cfg(target_arch = "wasm32")]
//! The MinHash permutation loop that only wasm runs (`permute_min_filtered_simd128`, 32-bit keys
//! with an `f64` product), in Chromium, against the definition
//! `min over h of ((h·a + b) mod 2^64) mod (2^61 − 1)`: values at the edges of its key (near the
//! prime, carries out of the low halves, shingles whose keys tie within the filter's margin), in
//! every lane of its eight-shingle steps and in the padding after the last shingle.

use datasieve::dedup::minhash::{MinHasher, MinhashParams};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const PRIME: u64 = (1 << 61) - 1;

fn definition(shingles: &[u64], a: &[u64], b: &[u64]) -> Vec<u64> {
    a.iter()
        .zip(b)
        .map(|(&a, &b)| {
            shingles
                .iter()
                .map(|&h| h.wrapping_mul(a).wrapping_add(b) % PRIME)
                .min()
                .unwrap()
        })
        .collect()
}

fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

fn signature(shingles: &[u64], a: &[u64], b: &[u64]) -> Vec<u64> {
    let hasher = MinHasher::new(&MinhashParams {
        num_perm: a.len(),
        ..Default::default()
    })
    .unwrap()
    .with_permutations(a.to_vec(), b.to_vec())
    .unwrap();
    let mut out = Vec::new();
    assert!(hasher.signature_of_shingles(shingles, &mut out));
    out
}

#[wasm_bindgen_test]
fn permutation_loop_equals_the_definition() {
    let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
    for document in 0..400usize {
        let length = match document % 4 {
            0 => 1 + document % 19,
            1 => 8 * (1 + document % 5) + document % 3,
            _ => 20 + document * 2,
        };
        // Half the documents cluster the top of `h` (so, with `a = 1`, keys tie within the
        // filter's margin and the low halves decide); the rest mix random values with values
        // near the prime and near 2^64.
        let cluster = (next() >> 35) | 1;
        let shingles: Vec<u64> = (0..length)
            .map(|i| match (document % 2, (document + i) % 23) {
                (0, _) => {
                    ((cluster + next() % 3) << 32) | (next() & 0xFFFF_FFFF) | ((next() % 8) << 61)
                }
                (_, 0) => PRIME - next() % 9,
                (_, 1) => u64::MAX - next() % 9,
                (_, 2) => ((next() % 8) << 61) | (PRIME - next() % 9),
                _ => next(),
            })
            .collect();
        let num_perm = [1, 3, 8, 13][document % 4];
        let a: Vec<u64> = (0..num_perm)
            .map(|k| match k % 3 {
                0 => 1,
                1 => next() % PRIME,
                _ => next(),
            })
            .collect();
        let b: Vec<u64> = (0..num_perm)
            .map(|k| match k % 4 {
                0 => next(),
                1 => u64::MAX - next() % 8,
                2 => next() & 0xFFFF_FFFF,
                _ => next() % PRIME,
            })
            .collect();
        assert_eq!(
            signature(&shingles, &a, &b),
            definition(&shingles, &a, &b),
            "document {document}: {shingles:?} a {a:?} b {b:?}"
        );
    }
}

#[wasm_bindgen_test]
fn long_documents_go_in_parts() {
    // Past 65 536 shingles the loop splits the document; the minimum may sit in any part.
    let mut next = xorshift(0x0123_4567_89AB_CDEF);
    let mut shingles: Vec<u64> = (0..150_001).map(|_| next()).collect();
    let (a, b) = (vec![1, next() | 1, next()], vec![0, next(), next()]);
    for at in [0, 65_535, 65_536, 131_072, 150_000] {
        let saved = shingles[at];
        shingles[at] = PRIME - 2; // value 1 or 0 under a = 1, b = 0
        assert_eq!(
            signature(&shingles, &a, &b),
            definition(&shingles, &a, &b),
            "special at {at}"
        );
        shingles[at] = saved;
    }
}

#[wasm_bindgen_test]
fn values_that_reach_the_prime_in_every_lane() {
    // With a = 1 and b = 0 the value of h is h mod (2^61 − 1): 2^61 − 1 folds to itself (value 0)
    // and 2^64 − 1 to 2^61 + 6 (value 7); a loop that ordered folded values would miss both.
    for special in [PRIME, u64::MAX, (3 << 61) | PRIME, (5 << 61) | (PRIME - 3)] {
        for position in 0..18 {
            let mut shingles: Vec<u64> = (0..18).map(|i| (1 << 50) + 12_345 * i).collect();
            shingles[position] = special;
            for length in [position + 1, 18] {
                let shingles = &shingles[..length];
                let (a, b) = (vec![1, 0x9E37_79B9], vec![0, 77]);
                assert_eq!(
                    signature(shingles, &a, &b),
                    definition(shingles, &a, &b),
                    "{special:#x} at {position} of {length}"
                );
            }
        }
    }
}

/// `h` with `h·a + b = x` (mod 2^64), for odd `a`.
fn shingle_for(x: u64, a: u64, b: u64) -> u64 {
    // Newton's iteration for the inverse modulo 2^64 doubles the correct low bits each step.
    let inverse = (0..6).fold(a, |inverse, _| {
        inverse.wrapping_mul(2u64.wrapping_sub(a.wrapping_mul(inverse)))
    });
    x.wrapping_sub(b).wrapping_mul(inverse)
}

#[wasm_bindgen_test]
fn chosen_products_at_the_edges_of_the_key() {
    // Documents built from chosen products `x = h·a + b` for random odd `a`, so the key's two
    // error terms (the f64 rounding `e` and the carry `c` left out) take every combination: a
    // first step of eight products in one 2^32-wide bucket sets the minimum high in it, and a
    // later product in the same bucket, lower by its low 32 bits, must still pass; some documents
    // also hold a product whose fold reaches the prime (value below 8).
    let mut next = xorshift(0x2545_F491_4F6C_DD1D);
    for document in 0..600usize {
        let (a, b) = (next() | 1, next());
        let bucket = next() % (1 << 29);
        let mut products: Vec<u64> = (0..8)
            .map(|_| (bucket << 32) | (0xF000_0000 + next() % (1 << 27)))
            .collect();
        products.extend((0..5 + document % 13).map(|_| (next() >> 3) | (1 << 60)));
        let lower = (bucket << 32) | (next() % 0xF000_0000);
        products.insert(8 + document % 5, lower);
        if document % 3 == 0 {
            let special = ((next() % 8) << 61) | (PRIME - next() % 8);
            let at = next() as usize % products.len();
            products.insert(at, special);
        }
        let shingles: Vec<u64> = products.iter().map(|&x| shingle_for(x, a, b)).collect();
        assert_eq!(shingles[0].wrapping_mul(a).wrapping_add(b), products[0]);
        let (a, b) = (vec![a, 1], vec![b, 0]);
        assert_eq!(
            signature(&shingles, &a, &b),
            definition(&shingles, &a, &b),
            "document {document}: products {products:x?}"
        );
    }
}

#[wasm_bindgen_test]
fn cell_loop_finds_the_minimum_among_near_keys() {
    // Documents long enough for the cell loop (320 shingles and more) built from chosen products
    // `x = h·a + b`: large fillers, a few products in two neighbouring 2^29-wide buckets below them
    // in other cells and lanes (the key's error terms, the f64 rounding and the carry left out, may
    // order them either way), and in some documents a product whose key wraps to the bottom while
    // its value is near the prime (only the second scan, within reach of the minimum, finds the
    // true minimum then) or one whose fold reaches the prime (value below 8).
    let mut next = xorshift(0x5DEE_CE66_D1CE_4E5B);
    for document in 0..80usize {
        let (a, b) = (next() | 1, next());
        let length = 320 + document * 37 % 900;
        let bucket = 1 + next() % 1000;
        let mut products: Vec<u64> = (0..length).map(|_| (next() >> 4) | (1 << 59)).collect();
        for _ in 0..4 {
            let at = next() as usize % length;
            products[at] = ((bucket + next() % 2) << 29) | (next() % (1 << 29));
        }
        if document % 2 == 0 {
            let at = next() as usize % length;
            products[at] = PRIME - 8 - next() % (1 << 30);
        }
        if document % 3 == 0 {
            let at = next() as usize % length;
            products[at] = ((next() % 8) << 61) | (PRIME - next() % 8);
        }
        let shingles: Vec<u64> = products.iter().map(|&x| shingle_for(x, a, b)).collect();
        let (a, b) = (vec![a, 1, next()], vec![b, 0, next()]);
        assert_eq!(
            signature(&shingles, &a, &b),
            definition(&shingles, &a, &b),
            "document {document}: products {products:x?}"
        );
    }
}
