//! `keep` (the column unchanged) and `drop` (the column removed).
use arrow_array::{ArrayRef, StringArray};
use arrow_schema::DataType;

use super::{ColumnTransform, Transformed};
use crate::error::Result;

/// Keep the column as it is.
#[derive(Debug, Clone, Copy)]
pub struct Keep;

/// Remove the column from the output.
#[derive(Debug, Clone, Copy)]
pub struct DropColumn;

impl ColumnTransform for Keep {
    fn name(&self) -> &'static str {
        "keep"
    }
    fn output_type(&self, input: &DataType) -> Option<DataType> {
        Some(input.clone())
    }
    fn apply(&self, input: &ArrayRef, _: Option<&StringArray>) -> Result<Transformed> {
        Ok(Transformed {
            array: input.clone(),
            changed: 0,
            problems: 0,
            problem_example: None,
        })
    }
}

impl ColumnTransform for DropColumn {
    fn name(&self) -> &'static str {
        "drop"
    }
    fn output_type(&self, _: &DataType) -> Option<DataType> {
        None
    }
    /// Returns an all-null array of the input's length (the executor does not write it).
    fn apply(&self, input: &ArrayRef, _: Option<&StringArray>) -> Result<Transformed> {
        Ok(Transformed {
            array: arrow_array::new_null_array(input.data_type(), input.len()),
            changed: (input.len() - arrow_array::Array::null_count(input.as_ref())) as u64,
            problems: 0,
            problem_example: None,
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
        fn keep_is_identity_and_drop_removes(v in proptest::collection::vec(proptest::option::of("\\PC{0,20}"), 0..20)) {
            let refs: Vec<Option<&str>> = v.iter().map(|o| o.as_deref()).collect();
            let a = strings(&refs);
            let k = Keep.apply(&a, None).unwrap();
            prop_assert_eq!(out(&k), v.clone());
            prop_assert_eq!(k.changed, 0);
            prop_assert!(DropColumn.output_type(&DataType::Utf8).is_none());
            let d = DropColumn.apply(&a, None).unwrap();
            prop_assert_eq!(arrow_array::Array::null_count(d.array.as_ref()), v.len());
        }
    }
}
