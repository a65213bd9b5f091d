//! `top_code` and `bottom_code`: values above (below) a threshold become the threshold.
use arrow_array::{ArrayRef, StringArray};
use arrow_schema::DataType;

use super::{ColumnTransform, Transformed, config_error, numeric};
use crate::error::Result;

/// Clamp values at a ceiling (`top_code`) or a floor (`bottom_code`).
#[derive(Debug, Clone, Copy)]
pub struct Clamp {
    at: f64,
    top: bool,
}

impl Clamp {
    /// Values above `at` become `at`.
    pub fn top(at: f64) -> Result<Clamp> {
        Self::new(at, true)
    }

    /// Values below `at` become `at`.
    pub fn bottom(at: f64) -> Result<Clamp> {
        Self::new(at, false)
    }

    fn new(at: f64, top: bool) -> Result<Clamp> {
        if !at.is_finite() {
            return Err(config_error(
                "top_code/bottom_code: `at` must be a finite number",
            ));
        }
        Ok(Clamp { at, top })
    }
}

impl ColumnTransform for Clamp {
    fn name(&self) -> &'static str {
        if self.top { "top_code" } else { "bottom_code" }
    }
    fn output_type(&self, input: &DataType) -> Option<DataType> {
        Some(numeric::output_type(input))
    }
    fn apply(&self, input: &ArrayRef, _: Option<&StringArray>) -> Result<Transformed> {
        let n = numeric::read(input)?;
        let mut changed = 0;
        // For integer columns the threshold is rounded inward so the output stays integral.
        let at = match (n.int_out, self.top) {
            (true, true) => self.at.floor(),
            (true, false) => self.at.ceil(),
            _ => self.at,
        };
        let out: Vec<Option<f64>> = n
            .values
            .iter()
            .map(|v| {
                v.map(|x| {
                    let y = if self.top { x.min(at) } else { x.max(at) };
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
    use arrow_array::{Array, Float64Array, Int64Array};
    use proptest::prelude::*;
    use std::sync::Arc;

    proptest! {
        #[test]
        fn clamps_within_threshold(v in proptest::collection::vec(-1e6f64..1e6, 1..30), at in -1e5f64..1e5) {
            let a: ArrayRef = Arc::new(Float64Array::from(v.clone()));
            let t = Clamp::top(at).unwrap().apply(&a, None).unwrap();
            let o = t.array.as_any().downcast_ref::<Float64Array>().unwrap();
            let b = Clamp::bottom(at).unwrap().apply(&a, None).unwrap();
            let ob = b.array.as_any().downcast_ref::<Float64Array>().unwrap();
            for i in 0..v.len() {
                prop_assert!(o.value(i) <= at);
                prop_assert!(ob.value(i) >= at);
                if v[i] <= at { prop_assert_eq!(o.value(i), v[i]); }
                if v[i] >= at { prop_assert_eq!(ob.value(i), v[i]); }
            }
        }
    }

    #[test]
    fn integers_stay_integers_and_text_is_parsed() {
        let a: ArrayRef = Arc::new(arrow_array::Int32Array::from(vec![
            Some(5),
            None,
            Some(120),
        ]));
        let t = Clamp::top(90.5).unwrap().apply(&a, None).unwrap();
        let o = t.array.as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!((o.value(0), o.is_null(1), o.value(2)), (5, true, 90));
        let s: ArrayRef = Arc::new(StringArray::from(vec!["12,5", "abc", "", "3"]));
        let t = Clamp::bottom(4.0).unwrap().apply(&s, None).unwrap();
        assert_eq!((t.problems, t.changed), (1, 1));
        let o = t.array.as_any().downcast_ref::<Float64Array>().unwrap();
        assert_eq!(o.value(0), 12.5);
        assert!(o.is_null(1) && o.is_null(2));
        assert_eq!(o.value(3), 4.0);
    }
}
