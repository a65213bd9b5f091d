//! PLACEHOLDER until the `transforms` branch lands (same API).
#![allow(missing_docs)]
use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, StringArray};
use arrow_schema::DataType;
use serde::Deserialize;

use crate::detect::{Category, PatternSet};
use crate::error::Result;
use crate::key::Key;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionSpec {
    Keep,
    Drop,
    Pseudonymise {
        #[serde(default)]
        length: Option<usize>,
    },
}

impl ActionSpec {
    pub const NAMES: &[&str] = &["keep", "drop", "pseudonymise"];
    pub fn name(&self) -> &'static str {
        match self {
            ActionSpec::Keep => "keep",
            ActionSpec::Drop => "drop",
            ActionSpec::Pseudonymise { .. } => "pseudonymise",
        }
    }
    pub fn needs_key(&self) -> bool {
        matches!(self, ActionSpec::Pseudonymise { .. })
    }
}

#[derive(Debug, Clone)]
pub struct Transformed {
    pub array: ArrayRef,
    pub changed: u64,
    pub problems: u64,
    pub problem_example: Option<String>,
}

pub trait ColumnTransform: Send + Sync {
    fn name(&self) -> &'static str;
    fn output_type(&self, input: &DataType) -> Option<DataType>;
    fn apply(&self, input: &ArrayRef, subjects: Option<&StringArray>) -> Result<Transformed>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdKind {
    PersonalNumber,
}

impl IdKind {
    pub fn from_category(_c: Category) -> IdKind {
        IdKind::PersonalNumber
    }
    pub fn from_name(_s: &str) -> Option<IdKind> {
        Some(IdKind::PersonalNumber)
    }
}

pub fn reveal(_kind: IdKind, _key: &Key, value: &str) -> Result<String> {
    Ok(value.to_string())
}

pub fn normalise_identifier(_kind: IdKind, raw: &str) -> Option<String> {
    Some(raw.to_string())
}

struct Same(bool);
impl ColumnTransform for Same {
    fn name(&self) -> &'static str {
        "keep"
    }
    fn output_type(&self, input: &DataType) -> Option<DataType> {
        (!self.0).then(|| input.clone())
    }
    fn apply(&self, input: &ArrayRef, _s: Option<&StringArray>) -> Result<Transformed> {
        Ok(Transformed {
            array: input.clone(),
            changed: 0,
            problems: 0,
            problem_example: None,
        })
    }
}

pub fn build(
    spec: &ActionSpec,
    _c: Category,
    _k: Option<&Key>,
    _p: Arc<PatternSet>,
) -> Result<Box<dyn ColumnTransform>> {
    Ok(Box::new(Same(matches!(spec, ActionSpec::Drop))))
}

pub mod pseudonymise {
    #[derive(Debug, Clone, Default)]
    pub struct TokenParams;
    impl TokenParams {
        pub fn new(_l: Option<usize>, _p: Option<String>) -> crate::error::Result<TokenParams> {
            Ok(TokenParams)
        }
    }
}

pub struct SubjectList;
impl SubjectList {
    pub fn load(
        _p: &Path,
        _k: IdKind,
        _key: &Key,
        _t: pseudonymise::TokenParams,
    ) -> Result<SubjectList> {
        Ok(SubjectList)
    }
    pub fn keep_mask(&self, ids: &StringArray) -> (BooleanArray, u64) {
        (BooleanArray::from(vec![true; ids.len()]), 0)
    }
}
use arrow_array::Array as _;
