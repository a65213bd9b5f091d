//! `noise`: add bounded, keyed uniform noise to numbers.
//!
//! The noise for a row is drawn from HMAC(subkey `noise`, subject) when the row has a
//! subject (so all values of one person move by the same fraction of the bound), otherwise
//! from HMAC(subkey, value): the same value always gets the same noise, so repeating a
//! release does not let anyone average the noise away. The change is at most `max_abs`, or
//! `max_relative × |value|`; when both are given the smaller bound applies. Integer columns
//! stay integers (the noise is truncated toward zero, so the bound still holds).
use arrow_array::{ArrayRef, StringArray};
use arrow_schema::DataType;
use hmac::Mac;

use super::{ColumnTransform, Transformed, config_error, numeric};
use crate::error::Result;
use crate::key::{HmacSha256, Key, hmac_with};

/// Keyed bounded noise.
pub struct Noise {
    mac: HmacSha256,
    max_abs: Option<f64>,
    max_rel: Option<f64>,
}

impl Noise {
    /// Noise bounded by `max_abs` and/or `max_relative` (at least one, both ≥ 0).
    pub fn new(key: &Key, max_abs: Option<f64>, max_relative: Option<f64>) -> Result<Noise> {
        if max_abs.is_none() && max_relative.is_none() {
            return Err(config_error("noise needs max_abs or max_relative"));
        }
        if [max_abs, max_relative]
            .iter()
            .flatten()
            .any(|b| !b.is_finite() || *b < 0.0)
        {
            return Err(config_error(
                "noise: max_abs and max_relative must be finite and not negative",
            ));
        }
        Ok(Noise {
            mac: hmac_with(&key.derive("noise")),
            max_abs,
            max_rel: max_relative,
        })
    }

    /// The bound for a value.
    fn bound(&self, v: f64) -> f64 {
        let a = self.max_abs.unwrap_or(f64::INFINITY);
        let r = self.max_rel.map_or(f64::INFINITY, |r| r * v.abs());
        a.min(r)
    }

    /// A keyed number in [-1, 1].
    fn unit(&self, subject: Option<&str>, v: f64) -> f64 {
        let mut m = self.mac.clone();
        match subject {
            Some(s) => {
                m.update(b"s");
                m.update(s.as_bytes());
            }
            None => {
                m.update(b"v");
                m.update(&v.to_bits().to_le_bytes());
            }
        }
        let h = m.finalize().into_bytes();
        let mut b = [0u8; 8];
        b.copy_from_slice(&h[..8]);
        let x = u64::from_le_bytes(b) >> 11; // 53 bits
        (x as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
}

impl ColumnTransform for Noise {
    fn name(&self) -> &'static str {
        "noise"
    }
    fn output_type(&self, input: &DataType) -> Option<DataType> {
        Some(numeric::output_type(input))
    }
    fn apply(&self, input: &ArrayRef, subjects: Option<&StringArray>) -> Result<Transformed> {
        use arrow_array::Array;
        let n = numeric::read(input)?;
        let mut changed = 0;
        let out: Vec<Option<f64>> = n
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.map(|x| {
                    let subject =
                        subjects.and_then(|s| (i < s.len() && s.is_valid(i)).then(|| s.value(i)));
                    let mut d = self.unit(subject, x) * self.bound(x);
                    if n.int_out {
                        d = d.trunc();
                    }
                    let y = x + d;
                    if y != x {
                        changed += 1;
                    }
                    y
                })
            })
            .collect();
        Ok(Transformed {
            array: numeric::write(&out, n.int_out),
            changed,
            problems: n.problems,
            problem_example: n.example,
        })
    }
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;
    use crate::transform::test_util::key;
    use arrow_array::{Array, Float64Array, Int64Array};
    use proptest::prelude::*;
    use std::sync::Arc;

    proptest! {
        #[test]
        fn stays_within_bounds_and_is_deterministic(v in proptest::collection::vec(-1e6f64..1e6, 1..30), b in 0.0f64..100.0, rel in 0.0f64..0.5) {
            let a: ArrayRef = Arc::new(Float64Array::from(v.clone()));
            let nz = Noise::new(&key(1), Some(b), Some(rel)).unwrap();
            let t = nz.apply(&a, None).unwrap();
            let t2 = nz.apply(&a, None).unwrap();
            let o = t.array.as_any().downcast_ref::<Float64Array>().unwrap();
            let o2 = t2.array.as_any().downcast_ref::<Float64Array>().unwrap();
            for i in 0..v.len() {
                let bound = b.min(rel * v[i].abs());
                prop_assert!((o.value(i) - v[i]).abs() <= bound * (1.0 + 1e-9) + 1e-9);
                prop_assert_eq!(o.value(i), o2.value(i));
            }
        }

        #[test]
        fn integers_stay_integral_and_bounded(v in proptest::collection::vec(-100000i64..100000, 1..30), b in 0.0f64..50.0) {
            let a: ArrayRef = Arc::new(Int64Array::from(v.clone()));
            let t = Noise::new(&key(2), Some(b), None).unwrap().apply(&a, None).unwrap();
            let o = t.array.as_any().downcast_ref::<Int64Array>().unwrap();
            for i in 0..v.len() {
                prop_assert!(((o.value(i) - v[i]) as f64).abs() <= b);
            }
        }
    }

    #[test]
    fn subjects_share_a_fraction_and_bad_config_fails() {
        assert!(Noise::new(&key(1), None, None).is_err());
        assert!(Noise::new(&key(1), Some(-1.0), None).is_err());
        let a: ArrayRef = Arc::new(Float64Array::from(vec![100.0, 200.0, 100.0]));
        let s = StringArray::from(vec!["p1", "p1", "p2"]);
        let t = Noise::new(&key(1), None, Some(0.1))
            .unwrap()
            .apply(&a, Some(&s))
            .unwrap();
        let o = t.array.as_any().downcast_ref::<Float64Array>().unwrap();
        let r0 = (o.value(0) - 100.0) / 100.0;
        let r1 = (o.value(1) - 200.0) / 200.0;
        assert!((r0 - r1).abs() < 1e-12);
        assert!(o.is_valid(2));
    }
}
