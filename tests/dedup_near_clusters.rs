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
            Row { text: v["text"].as_str().unwrap().to_owned(), datatrove_cluster: v["cluster"].as_u64(), datatrove_removed: v["removed"].as_bool().unwrap() }
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
    let mut clusters = index.clusters(rows.len() as u32, KeepPolicy::First, |row| rows[row as usize].text.len() as u64);

    let ours = partition((0..rows.len() as u32).map(|row| (row, clusters.row(row).map(|c| c.cluster as u64))));
    let theirs = partition(rows.iter().enumerate().map(|(row, r)| (row as u32, r.datatrove_cluster)));
    assert!(theirs.len() >= 20, "fixture should hold many clusters, has {}", theirs.len());
    assert_eq!(ours, theirs);

    // KeepPolicy::First keeps each cluster's lowest row; datatrove keeps its union-by-size root,
    // which differs for some clusters here. Replaying datatrove's procedure gives its survivors.
    let removed_by_first: BTreeSet<u32> = (0..rows.len() as u32).filter(|&row| clusters.row(row).is_some_and(|c| c.is_removed(row))).collect();
    let removed_by_datatrove: BTreeSet<u32> = (0..rows.len() as u32).filter(|&row| rows[row as usize].datatrove_removed).collect();
    assert_eq!(removed_by_first.len(), removed_by_datatrove.len());
    assert_ne!(removed_by_first, removed_by_datatrove, "the fixture should show datatrove's non-first survivors");
    for cluster in clusters.clusters.clone() {
        let members = clusters.members(cluster.id);
        let with_signatures: Vec<(u32, &[u64])> = members.iter().map(|&row| (row, signatures[row as usize].as_slice())).collect();
        clusters.set_kept_row(cluster.id, datatrove_survivor(&with_signatures, LshParams::default()));
    }
    for (row, r) in rows.iter().enumerate() {
        let removed = clusters.row(row as u32).is_some_and(|c| c.is_removed(row as u32));
        assert_eq!(removed, r.datatrove_removed, "row {row}");
    }
}
