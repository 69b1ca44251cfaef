//! The statistics behind the per-call figures: medians, ratios of paired runs, and a 95%
//! interval for a median that assumes nothing about the distribution of the runs.
//!
//! The interval is the order-statistic (binomial) one: for n sorted values x₁ ≤ … ≤ xₙ, each
//! value falls below the true median with probability ½, so the number below it is
//! Binomial(n, ½). [`median_interval`] takes the largest k with P(B ≤ k − 1) ≤ 2.5 %; then
//! [x_k, x_{n−k+1}] covers the median with at least 95 % probability. It needs n ≥ 6.

/// The median (the mean of the two middle values for an even count); NaN when empty.
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let v = sorted(values);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// P(B ≤ k) for B ~ Binomial(n, ½).
fn binomial_half_cdf(n: usize, k: usize) -> f64 {
    // Summed in logs: 0.5^n underflows for large n.
    let ln_half_n = n as f64 * 0.5f64.ln();
    let mut ln_choose = 0.0f64; // ln C(n, 0)
    let mut total = 0.0;
    for i in 0..=k.min(n) {
        if i > 0 {
            ln_choose += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        total += (ln_choose + ln_half_n).exp();
    }
    total.min(1.0)
}

/// The 1-based rank k of the lower end of the 95 % interval for the median of n values
/// (the upper end is rank n − k + 1); `None` when n is too small for any such interval.
pub fn interval_rank(n: usize) -> Option<usize> {
    let mut k = 0;
    while k < n / 2 && binomial_half_cdf(n, k) <= 0.025 {
        k += 1;
    }
    // k is now the first count whose P(B ≤ k) exceeds 2.5 %: ranks k and n − k + 1.
    (k >= 1).then_some(k)
}

/// The distribution-free 95 % interval `(low, high)` for the median of `values`.
pub fn median_interval(values: &[f64]) -> Option<(f64, f64)> {
    let k = interval_rank(values.len())?;
    let v = sorted(values);
    Some((v[k - 1], v[v.len() - k]))
}

/// `a[i] / b[i]` for each pair of runs.
pub fn ratios(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x / y).collect()
}

/// How far the interval reaches from the median, relative to it: the larger of
/// `1 − low/median` and `high/median − 1` (0.05 is ±5 %).
pub fn relative_half_width(median: f64, (low, high): (f64, f64)) -> f64 {
    (1.0 - low / median).max(high / median - 1.0)
}

/// Median, its 95 % interval and the interval's relative half-width, for a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub median: f64,
    pub interval: Option<(f64, f64)>,
    pub runs: usize,
}

impl Summary {
    pub fn of(values: &[f64]) -> Self {
        Self {
            median: median(values),
            interval: median_interval(values),
            runs: values.len(),
        }
    }

    /// The relative half-width of the interval; infinite when there is none.
    pub fn half_width(&self) -> f64 {
        self.interval
            .map_or(f64::INFINITY, |i| relative_half_width(self.median, i))
    }

    /// "1.052 [1.031, 1.074]".
    pub fn display(&self, decimals: usize) -> String {
        match self.interval {
            Some((lo, hi)) => format!("{:.d$} [{:.d$}, {:.d$}]", self.median, lo, hi, d = decimals),
            None => format!("{:.d$} [too few runs]", self.median, d = decimals),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts_unsorted() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[7.5]), 7.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn binomial_cdf_matches_exact_fractions() {
        // n = 10: P(B ≤ 1) = 11/1024, P(B ≤ 2) = 56/1024.
        assert!((binomial_half_cdf(10, 1) - 11.0 / 1024.0).abs() < 1e-12);
        assert!((binomial_half_cdf(10, 2) - 56.0 / 1024.0).abs() < 1e-12);
        assert!((binomial_half_cdf(7, 7) - 1.0).abs() < 1e-12);
        // Large n does not underflow: P(B ≤ n/2) is a little over one half.
        let p = binomial_half_cdf(2000, 1000);
        assert!(p > 0.5 && p < 0.52, "{p}");
    }

    #[test]
    fn interval_ranks_are_the_tabulated_ones() {
        // The published ranks of the distribution-free 95 % interval for a median.
        assert_eq!(interval_rank(5), None);
        assert_eq!(interval_rank(6), Some(1));
        assert_eq!(interval_rank(9), Some(2));
        assert_eq!(interval_rank(10), Some(2));
        assert_eq!(interval_rank(20), Some(6));
        assert_eq!(interval_rank(30), Some(10));
        assert_eq!(interval_rank(50), Some(18));
    }

    #[test]
    fn interval_of_fixed_values() {
        // 1..=20 shuffled: ranks 6 and 15.
        let mut v: Vec<f64> = (1..=20).map(f64::from).collect();
        v.reverse();
        v.swap(0, 13);
        assert_eq!(median_interval(&v), Some((6.0, 15.0)));
        assert_eq!(median_interval(&[1.0, 2.0, 3.0, 4.0, 5.0]), None);
        let s = Summary::of(&v);
        assert_eq!(s.median, 10.5);
        assert_eq!(s.runs, 20);
        assert!((s.half_width() - (15.0 / 10.5 - 1.0)).abs() < 1e-12);
        assert_eq!(s.display(1), "10.5 [6.0, 15.0]");
        assert_eq!(Summary::of(&[1.0, 2.0]).half_width(), f64::INFINITY);
    }

    #[test]
    fn ratios_pair_runs_and_half_width_takes_the_far_side() {
        assert_eq!(
            ratios(&[2.0, 3.0, 5.0], &[1.0, 2.0, 4.0]),
            vec![2.0, 1.5, 1.25]
        );
        assert!((relative_half_width(1.0, (0.98, 1.03)) - 0.03).abs() < 1e-12);
        assert!((relative_half_width(2.0, (1.8, 2.1)) - 0.1).abs() < 1e-12);
    }
}
