//! `redact`: every non-empty value becomes one constant (default `[REDACTED]`).
use arrow_array::{ArrayRef, StringArray};
use arrow_schema::DataType;

use super::{ColumnTransform, Transformed, map_text};
use crate::error::Result;

/// Replace every non-empty value by a constant.
#[derive(Debug, Clone)]
pub struct Redact {
    with: String,
}

impl Redact {
    /// `with` defaults to `[REDACTED]`.
    pub fn new(with: Option<String>) -> Redact {
        Redact {
            with: with.unwrap_or_else(|| "[REDACTED]".to_string()),
        }
    }
}

impl ColumnTransform for Redact {
    fn name(&self) -> &'static str {
        "redact"
    }
    fn output_type(&self, _: &DataType) -> Option<DataType> {
        Some(DataType::Utf8)
    }
    fn apply(&self, input: &ArrayRef, subjects: Option<&StringArray>) -> Result<Transformed> {
        map_text(input, subjects, |_, _, out| {
            out.push_str(&self.with);
            true
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::test_util::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn nothing_of_the_value_survives(v in "[0-9A-Za-z@. ]{1,30}") {
            let r = Redact::new(None);
            let o = one(&r, &v);
            if v.trim().is_empty() {
                prop_assert_eq!(o.as_deref(), Some(v.as_str()));
            } else {
                prop_assert_eq!(o.as_deref(), Some("[REDACTED]"));
            }
        }
    }

    #[test]
    fn nulls_stay_null_and_counts() {
        let t = Redact::new(Some("X".into()))
            .apply(&strings(&[Some("a"), None, Some("")]), None)
            .unwrap();
        assert_eq!(out(&t), vec![Some("X".into()), None, Some(String::new())]);
        assert_eq!((t.changed, t.problems), (1, 0));
    }
}
