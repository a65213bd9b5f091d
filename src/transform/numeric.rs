//! Reading and writing numeric columns for `noise`, `top_code` and `bottom_code`.
//!
//! Integers (`Int*`, `UInt*`) come out as `Int64`; floats, decimals and numeric text as
//! `Float64`. Text accepts a decimal comma (`12,5`). A value that is not a number is a
//! problem (NULL in the output, counted).
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, Float64Array, Int64Array, StringArray};
use arrow_schema::DataType;

use super::config_error;
use crate::error::Result;

/// Numbers read from a column.
pub(crate) struct Numbers {
    /// One per row; `None` for nulls, blanks and problems.
    pub values: Vec<Option<f64>>,
    /// Whether the output is `Int64`.
    pub int_out: bool,
    /// Values that are not numbers.
    pub problems: u64,
    /// One of them, masked.
    pub example: Option<String>,
}

/// Whether a type is an integer type.
fn is_int(t: &DataType) -> bool {
    t.is_integer()
}

/// The output type of a numeric action.
pub(crate) fn output_type(input: &DataType) -> DataType {
    if is_int(input) {
        DataType::Int64
    } else {
        DataType::Float64
    }
}

/// Parse numeric text (`12`, `-3.5`, `12,5`).
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    let v: f64 = if t.contains(',') && !t.contains('.') && t.matches(',').count() == 1 {
        t.replace(',', ".").parse().ok()?
    } else {
        t.parse().ok()?
    };
    v.is_finite().then_some(v)
}

/// Read a column as numbers.
pub(crate) fn read(input: &ArrayRef) -> Result<Numbers> {
    let t = input.data_type();
    if matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) {
        let a = super::as_utf8(input)?;
        let a = a
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| crate::Error::Internal("Utf8 is not a StringArray".into()))?;
        let mut n = Numbers {
            values: Vec::with_capacity(a.len()),
            int_out: false,
            problems: 0,
            example: None,
        };
        for i in 0..a.len() {
            if a.is_null(i) || a.value(i).trim().is_empty() {
                n.values.push(None);
                continue;
            }
            let v = parse_number(a.value(i));
            if v.is_none() {
                n.problems += 1;
                n.example
                    .get_or_insert_with(|| crate::redact::mask(a.value(i)));
            }
            n.values.push(v);
        }
        return Ok(n);
    }
    if !(t.is_numeric()) {
        return Err(config_error(format!(
            "a numeric action cannot be applied to a column of type {t}"
        )));
    }
    let f = arrow_cast::cast(input, &DataType::Float64)
        .map_err(|e| crate::Error::Internal(format!("cannot read {t} as numbers: {e}")))?;
    let f = f
        .as_any()
        .downcast_ref::<Float64Array>()
        .ok_or_else(|| crate::Error::Internal("Float64 is not a Float64Array".into()))?;
    Ok(Numbers {
        values: f.iter().map(|v| v.filter(|x| x.is_finite())).collect(),
        int_out: is_int(t),
        problems: 0,
        example: None,
    })
}

/// Write numbers back (`Int64` rounds toward zero; callers keep integers integral).
pub(crate) fn write(values: &[Option<f64>], int_out: bool) -> ArrayRef {
    if int_out {
        Arc::new(Int64Array::from_iter(
            values.iter().map(|v| v.map(|x| x as i64)),
        ))
    } else {
        Arc::new(Float64Array::from_iter(values.iter().copied()))
    }
}
