//! Statistics of a preference file, accumulated row by row with bounded per-row state.

use std::collections::BTreeMap;

use serde::Serialize;

use super::config::{AssumedSettings, ScoreScale};
use super::family::Family;
use super::tokens::TokenCountMethod;

/// A histogram over powers of two: bucket 0 holds 0, bucket `i ≥ 1` holds `[2^(i-1), 2^i)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Log2Histogram {
    /// Inclusive lower bound of each bucket (0, 1, 2, 4, 8, ...), up to the last non-empty one.
    pub bucket_starts: Vec<u64>,
    /// Values per bucket.
    pub counts: Vec<u64>,
    /// Values added.
    pub total: u64,
    /// Smallest value (0 when empty).
    pub min: u64,
    /// Largest value (0 when empty).
    pub max: u64,
    /// Mean value (`None` when empty).
    pub mean: Option<f64>,
}

/// Streaming builder of a [`Log2Histogram`].
#[derive(Debug, Clone)]
pub(crate) struct Log2Accumulator {
    counts: [u64; 65],
    total: u64,
    sum: f64,
    min: Option<u64>,
    max: u64,
}

impl Default for Log2Accumulator {
    fn default() -> Self {
        Log2Accumulator {
            counts: [0; 65],
            total: 0,
            sum: 0.0,
            min: None,
            max: 0,
        }
    }
}

impl Log2Accumulator {
    pub(crate) fn add(&mut self, value: u64) {
        let bucket = (u64::BITS - value.leading_zeros()) as usize;
        self.counts[bucket] += 1;
        self.total += 1;
        self.sum += value as f64;
        self.min = Some(self.min.map_or(value, |m| m.min(value)));
        self.max = self.max.max(value);
    }

    /// The approximate median: the lower bound of the bucket holding the middle value.
    pub(crate) fn median_bucket_start(&self) -> Option<u64> {
        let middle = self.total.div_ceil(2);
        let mut seen = 0;
        for (bucket, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= middle && count > 0 {
                return Some(bucket_start(bucket));
            }
        }
        None
    }

    pub(crate) fn finish(&self) -> Log2Histogram {
        let used = self
            .counts
            .iter()
            .rposition(|&c| c > 0)
            .map_or(0, |last| last + 1);
        Log2Histogram {
            bucket_starts: (0..used).map(bucket_start).collect(),
            counts: self.counts[..used].to_vec(),
            total: self.total,
            min: self.min.unwrap_or(0),
            max: self.max,
            mean: (self.total > 0).then(|| self.sum / self.total as f64),
        }
    }
}

fn bucket_start(bucket: usize) -> u64 {
    if bucket == 0 {
        0
    } else {
        1u64 << (bucket - 1)
    }
}

/// Histograms of prompt, chosen and rejected lengths (for KTO rows: prompt and completion,
/// counted under chosen for desirable and rejected for undesirable completions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SideLengths {
    /// Prompt lengths.
    pub prompt: Log2Histogram,
    /// Chosen-completion lengths.
    pub chosen: Log2Histogram,
    /// Rejected-completion lengths.
    pub rejected: Log2Histogram,
}

/// Equal-width histogram of chosen − rejected score margins.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarginHistogram {
    /// Bin edges (`bins + 1` values); the last bin includes its upper edge.
    pub edges: Vec<f64>,
    /// Margins per bin.
    pub counts: Vec<u64>,
    /// Pairs with both scores.
    pub scored_pairs: u64,
    /// Mean margin.
    pub mean: Option<f64>,
    /// Median margin.
    pub median: Option<f64>,
    /// Pairs with margin exactly 0.
    pub ties: u64,
    /// Pairs with a negative margin.
    pub inverted: u64,
    /// Scores outside the configured [`ScoreScale`] (0 when no scale is set).
    pub scores_out_of_scale: u64,
}

/// The known DPO length bias: how often and by how much chosen is longer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LengthBias {
    /// Pairs compared.
    pub pairs: u64,
    /// Share of pairs whose chosen completion has more chars than the rejected one.
    pub chosen_longer_share: Option<f64>,
    /// Share of pairs with equal char lengths.
    pub equal_length_share: Option<f64>,
    /// Median of chosen chars / rejected chars over pairs with a non-empty rejected side.
    pub median_length_ratio: Option<f64>,
}

/// How prompts repeat across pairs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromptReuse {
    /// Distinct prompts (after white-space collapse and NFC).
    pub unique_prompts: u64,
    /// Number of prompts having 1, 2, ... pairs; the key `"10+"` counts prompts with ten or more.
    pub pairs_per_prompt: BTreeMap<String, u64>,
    /// The most pairs any one prompt has.
    pub max_pairs_per_prompt: u64,
}

/// Refusal boilerplate in chosen vs rejected completions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RefusalRates {
    /// Chosen completions examined (valid pairs; KTO: desirable completions).
    pub chosen_examined: u64,
    /// Rejected completions examined (valid pairs; KTO: undesirable completions).
    pub rejected_examined: u64,
    /// Chosen completions that are refusals.
    pub chosen: u64,
    /// Rejected completions that are refusals.
    pub rejected: u64,
    /// `chosen / chosen_examined`.
    pub chosen_rate: Option<f64>,
    /// `rejected / rejected_examined`.
    pub rejected_rate: Option<f64>,
}

/// Where chosen and rejected completions first differ (chars into the completion text).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Divergence {
    /// Histogram of first-difference offsets.
    pub offsets: Log2Histogram,
    /// Lower bound of the bucket holding the median offset.
    pub median_bucket_start: Option<u64>,
    /// Pairs where one completion is a prefix of the other.
    pub prefix_pairs: u64,
}

/// KTO desirable/undesirable balance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelBalance {
    /// Rows labelled `true`.
    pub desirable: u64,
    /// Rows labelled `false`.
    pub undesirable: u64,
    /// `desirable / (desirable + undesirable)`.
    pub desirable_share: Option<f64>,
}

/// Everything `datasieve prefs` reports about a file. Distribution statistics cover the rows
/// without errors (what a trainer would actually use); counts cover all rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrefsStats {
    /// The family the rows were read as.
    pub family: Option<Family>,
    /// The four settings that cannot be inferred, as assumed.
    pub settings: AssumedSettings,
    /// How token counts were obtained and their expected error.
    pub token_counting: TokenCountMethod,
    /// `max_length` used for the truncation checks, if any.
    pub max_length: Option<u64>,
    /// `max_prompt_length` used, if any.
    pub max_prompt_length: Option<u64>,
    /// Rows checked (including unparsable ones).
    pub rows: u64,
    /// Rows without errors.
    pub valid_rows: u64,
    /// Rows with at least one error.
    pub rows_with_errors: u64,
    /// Rows with at least one warning.
    pub rows_with_warnings: u64,
    /// Valid preference pairs.
    pub pairs: u64,
    /// Valid KTO rows.
    pub unpaired: u64,
    /// Rows per error code.
    pub error_counts: BTreeMap<&'static str, u64>,
    /// Rows per warning code.
    pub warning_counts: BTreeMap<&'static str, u64>,
    /// Chosen-longer share and median length ratio.
    pub length_bias: LengthBias,
    /// Lengths in chars.
    pub length_chars: SideLengths,
    /// Lengths in tokens (see `token_counting`).
    pub length_tokens: SideLengths,
    /// Score margins, where rows have scores.
    pub score_margin: Option<MarginHistogram>,
    /// Prompt reuse.
    pub prompts: PromptReuse,
    /// Number of prompts by user-turn count; key 20 means 20 or more.
    pub prompt_user_turns: BTreeMap<u32, u64>,
    /// Chosen model → rejected model → pairs, where rows name models (`"(unknown)"` for a
    /// missing side, `"(other)"` past `max_models_in_matrix` names).
    pub model_matrix: BTreeMap<String, BTreeMap<String, u64>>,
    /// Refusal rates, when refusal detection is on.
    pub refusals: Option<RefusalRates>,
    /// First divergence between chosen and rejected.
    pub first_divergence: Divergence,
    /// KTO label balance, for KTO files.
    pub kto_labels: Option<LabelBalance>,
}

/// Builds the margin histogram: 20 equal bins over ±(scale width) when a scale is known, else
/// over the observed range.
pub(crate) fn margin_histogram(
    margins: &mut [f64],
    scale: Option<ScoreScale>,
    out_of_scale: u64,
) -> Option<MarginHistogram> {
    if margins.is_empty() {
        return None;
    }
    margins.sort_by(f64::total_cmp);
    let (low, high) = match scale {
        Some(scale) if scale.max > scale.min => (-(scale.max - scale.min), scale.max - scale.min),
        _ => (margins[0], margins[margins.len() - 1]),
    };
    const BINS: usize = 20;
    let (edges, counts) = if high > low {
        let width = (high - low) / BINS as f64;
        let edges: Vec<f64> = (0..=BINS).map(|i| low + width * i as f64).collect();
        let mut counts = vec![0u64; BINS];
        for &margin in margins.iter() {
            let bin = (((margin - low) / width).floor().max(0.0) as usize).min(BINS - 1);
            counts[bin] += 1;
        }
        (edges, counts)
    } else {
        (vec![low, high], vec![margins.len() as u64])
    };
    let n = margins.len();
    let median = if n % 2 == 1 {
        margins[n / 2]
    } else {
        (margins[n / 2 - 1] + margins[n / 2]) / 2.0
    };
    Some(MarginHistogram {
        edges,
        counts,
        scored_pairs: n as u64,
        mean: Some(margins.iter().sum::<f64>() / n as f64),
        median: Some(median),
        ties: margins.iter().filter(|&&m| m == 0.0).count() as u64,
        inverted: margins.iter().filter(|&&m| m < 0.0).count() as u64,
        scores_out_of_scale: out_of_scale,
    })
}

/// Median of a list of ratios (sorted in place).
pub(crate) fn median_f32(values: &mut [f32]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f32::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2] as f64
    } else {
        (values[n / 2 - 1] as f64 + values[n / 2] as f64) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log2_buckets() {
        let mut acc = Log2Accumulator::default();
        for v in [0, 1, 2, 3, 4, 100] {
            acc.add(v);
        }
        let h = acc.finish();
        assert_eq!(h.bucket_starts, vec![0, 1, 2, 4, 8, 16, 32, 64]);
        assert_eq!(h.counts, vec![1, 1, 2, 1, 0, 0, 0, 1]);
        assert_eq!((h.min, h.max, h.total), (0, 100, 6));
        assert_eq!(acc.median_bucket_start(), Some(2));
    }

    #[test]
    fn margins_over_scale() {
        let mut margins = vec![1.0, 2.0, -1.0, 0.0];
        let h = margin_histogram(
            &mut margins,
            Some(ScoreScale {
                min: 0.0,
                max: 10.0,
            }),
            0,
        )
        .unwrap();
        assert_eq!(h.edges.len(), 21);
        assert_eq!(h.edges[0], -10.0);
        assert_eq!(h.counts.iter().sum::<u64>(), 4);
        assert_eq!((h.ties, h.inverted), (1, 1));
        assert_eq!(h.median, Some(0.5));
    }

    #[test]
    fn median_of_even_and_odd() {
        assert_eq!(median_f32(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median_f32(&mut [4.0, 1.0]), Some(2.5));
        assert_eq!(median_f32(&mut []), None);
    }
}
