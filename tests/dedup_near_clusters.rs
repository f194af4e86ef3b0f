//! Near-duplicate clusters must equal those of datatrove 0.10.1's real three-stage MinHash dedup
//! (signatures → buckets → clustering; fixture made by scripts/gen_minhash_fixture.py).

use datasieve::dedup::lsh::{band_keys, datatrove_survivor, KeepPolicy, LshParams, NearDedupIndex};
use datasieve::dedup::minhash::{MinHasher, MinhashParams};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const CLUSTERS: &str = include_str!("fixtures/dedup/datatrove_clusters.jsonl");

struct Row {
    text: String,
    datatrove_cluster: Option<u64>,
    datatrove_removed: bool,
}

fn rows() -> Vec<Row> {
    CLUSTERS
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            Row {
                text: v["text"].as_str().unwrap().to_owned(),
                datatrove_cluster: v["cluster"].as_u64(),
                datatrove_removed: v["removed"].as_bool().unwrap(),
            }
        })
        .collect()
}

/// A partition as a set of member sets (clusters of two or more rows).
fn partition(labels: impl Iterator<Item = (u32, Option<u64>)>) -> BTreeSet<BTreeSet<u32>> {
    let mut groups: BTreeMap<u64, BTreeSet<u32>> = BTreeMap::new();
    for (row, label) in labels {
        if let Some(label) = label {
            groups.entry(label).or_default().insert(row);
        }
    }
    groups.into_values().collect()
}

#[test]
fn default_near_dedup_gives_datatrove_clusters_and_survivors() {
    let rows = rows();
    let hasher = MinHasher::new(&MinhashParams::default()).unwrap();
    let mut index = NearDedupIndex::new();
    let (mut signature, mut keys) = (Vec::new(), Vec::new());
    let mut signatures: Vec<Vec<u64>> = Vec::new();
    for (row, r) in rows.iter().enumerate() {
        let signed = hasher.signature(&r.text, &mut signature);
        signatures.push(signature.clone());
        if signed {
            band_keys(&signature, LshParams::default(), &mut keys);
            index.insert(row as u32, &keys);
        }
    }
    let mut clusters = index.clusters(rows.len() as u32, KeepPolicy::First, |row| {
        rows[row as usize].text.len() as u64
    });

    let ours = partition(
        (0..rows.len() as u32).map(|row| (row, clusters.row(row).map(|c| c.cluster as u64))),
    );
    let theirs = partition(
        rows.iter()
            .enumerate()
            .map(|(row, r)| (row as u32, r.datatrove_cluster)),
    );
    assert!(
        theirs.len() >= 20,
        "fixture should hold many clusters, has {}",
        theirs.len()
    );
    assert_eq!(ours, theirs);

    // KeepPolicy::First keeps each cluster's lowest row; datatrove keeps its union-by-size root,
    // which differs for some clusters here. Replaying datatrove's procedure gives its survivors.
    let removed_by_first: BTreeSet<u32> = (0..rows.len() as u32)
        .filter(|&row| clusters.row(row).is_some_and(|c| c.is_removed(row)))
        .collect();
    let removed_by_datatrove: BTreeSet<u32> = (0..rows.len() as u32)
        .filter(|&row| rows[row as usize].datatrove_removed)
        .collect();
    assert_eq!(removed_by_first.len(), removed_by_datatrove.len());
    assert_ne!(
        removed_by_first, removed_by_datatrove,
        "the fixture should show datatrove's non-first survivors"
    );
    for cluster in clusters.clusters.clone() {
        let members = clusters.members(cluster.id);
        let with_signatures: Vec<(u32, &[u64])> = members
            .iter()
            .map(|&row| (row, signatures[row as usize].as_slice()))
            .collect();
        clusters.set_kept_row(
            cluster.id,
            datatrove_survivor(&with_signatures, LshParams::default()),
        );
    }
    for (row, r) in rows.iter().enumerate() {
        let removed = clusters
            .row(row as u32)
            .is_some_and(|c| c.is_removed(row as u32));
        assert_eq!(removed, r.datatrove_removed, "row {row}");
    }
}

/// With verification, only candidate pairs whose exact Jaccard reaches the threshold are joined:
/// the verified clusters refine datatrove's, and every accepted pair really is that similar.
#[test]
fn verified_clusters_refine_datatrove_clusters() {
    use datasieve::dedup::lsh::{jaccard, shingle_set, CandidatePair, EdgeVerifier};
    let rows = rows();
    let hasher = MinHasher::new(&MinhashParams::default()).unwrap();
    let mut index = NearDedupIndex::new();
    let (mut shingles, mut signature, mut keys, mut pairs) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut sets = Vec::new();
    for (row, r) in rows.iter().enumerate() {
        shingles.clear();
        hasher.shingles(&r.text, &mut shingles);
        sets.push(shingle_set(shingles.clone()));
        if hasher.signature_of_shingles(&shingles, &mut signature) {
            band_keys(&signature, LshParams::default(), &mut keys);
            pairs.extend(
                index
                    .candidates(row as u32, &keys)
                    .into_iter()
                    .map(|earlier| CandidatePair {
                        earlier,
                        row: row as u32,
                    }),
            );
        }
    }
    let mut verifier = EdgeVerifier::new(pairs.clone(), 0.8);
    for (row, set) in sets.iter().enumerate() {
        if verifier.needs(row as u32) {
            verifier.feed(row as u32, set.clone());
        }
    }
    assert_eq!(verifier.open_sets(), 0);
    let decided = verifier.finish();
    assert_eq!(decided.len(), pairs.len());
    let mut rejected = 0;
    for pair in &decided {
        let exact = jaccard(&sets[pair.earlier as usize], &sets[pair.row as usize]);
        assert!((pair.jaccard - exact).abs() < 1e-12);
        assert_eq!(pair.accepted, exact >= 0.8);
        if pair.accepted {
            index.link(pair.earlier, pair.row);
        } else {
            rejected += 1;
        }
    }
    assert!(
        rejected > 0,
        "the fixture's heavier edits should fall below 0.8"
    );
    let clusters = index.clusters(rows.len() as u32, KeepPolicy::First, |_| 0);
    for cluster in &clusters.clusters {
        let members = clusters.members(cluster.id);
        let datatrove: BTreeSet<Option<u64>> = members
            .iter()
            .map(|&row| rows[row as usize].datatrove_cluster)
            .collect();
        assert_eq!(
            datatrove.len(),
            1,
            "verified cluster {members:?} spans datatrove clusters"
        );
        assert!(datatrove.iter().next().unwrap().is_some());
    }
}
