//! `mask`: keep the first and last few characters, replace the others (length preserved).
//!
//! At most half of a value's characters are kept (rounded down), so a short value is masked
//! more than asked: `keep_last = 3` on `1234` keeps only `34`. The kept count is cut from
//! `keep_first` first, then `keep_last`.
use arrow_array::{ArrayRef, StringArray};
use arrow_schema::DataType;

use super::{ColumnTransform, Transformed, map_text};
use crate::error::Result;

/// Keep `first` and `last` characters, replace the rest by `ch`.
#[derive(Debug, Clone)]
pub struct Mask {
    first: usize,
    last: usize,
    ch: char,
}

impl Mask {
    /// A mask keeping `first` leading and `last` trailing characters.
    pub fn new(first: usize, last: usize, ch: char) -> Mask {
        Mask { first, last, ch }
    }

    /// Mask one value into `out`.
    pub fn mask_into(&self, v: &str, out: &mut String) {
        let n = v.chars().count();
        let budget = n / 2;
        let last = self.last.min(budget);
        let first = self.first.min(budget - last);
        for (i, c) in v.chars().enumerate() {
            if i < first || i >= n - last {
                out.push(c);
            } else {
                out.push(self.ch);
            }
        }
    }
}

impl ColumnTransform for Mask {
    fn name(&self) -> &'static str {
        "mask"
    }
    fn output_type(&self, _: &DataType) -> Option<DataType> {
        Some(DataType::Utf8)
    }
    fn apply(&self, input: &ArrayRef, subjects: Option<&StringArray>) -> Result<Transformed> {
        map_text(input, subjects, |v, _, out| {
            self.mask_into(v, out);
            true
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        let m = Mask::new(0, 3, '*');
        assert_eq!(one(&m, "1234567892").as_deref(), Some("*******892"));
        assert_eq!(one(&m, "1234").as_deref(), Some("**34"));
        assert_eq!(one(&m, "1").as_deref(), Some("*"));
        let m = Mask::new(2, 2, '#');
        assert_eq!(one(&m, "044123456").as_deref(), Some("04#####56"));
    }

    proptest! {
        /// Output has the input's length, keeps at most half of it, is deterministic and
        /// never equals the input.
        #[test]
        fn never_reveals_the_whole_value(v in "[0-9A-Za-zëç@.+ ]{1,30}", f in 0usize..12, l in 0usize..12) {
            prop_assume!(!v.trim().is_empty());
            let m = Mask::new(f, l, '*');
            let o = one(&m, &v).unwrap();
            prop_assert_eq!(o.chars().count(), v.chars().count());
            prop_assert_ne!(&o, &v);
            let kept = o.chars().zip(v.chars()).filter(|(a, b)| a == b && *a != '*').count();
            prop_assert!(kept <= v.chars().count() / 2);
            prop_assert_eq!(Some(o), one(&m, &v));
        }
    }
}
