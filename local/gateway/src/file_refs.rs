//! Inlines the document's file references, `{"$ref": "templates/x.vtl"}`, by the contract that the
//! CDK app's loader (infra/lib/openapi.ts) follows too; both are tested against one fixture,
//! tests/fixtures/file-refs (its README states the rules).

use std::path::{Path, PathBuf};

use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum FileRefError {
    #[error("{referrer}: $ref to a missing file {}: {source}", file.display())]
    Missing {
        referrer: String,
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("$ref cycle: {0}")]
    Cycle(String),
    #[error("{referrer}: $ref {reference:?} must be a path relative to the document")]
    NotRelative { referrer: String, reference: String },
    #[error("{referrer}: a file $ref ({reference:?}) must be the only key of its object")]
    NotAlone { referrer: String, reference: String },
    #[error("{} is not valid YAML or JSON: {source}", file.display())]
    Unparsable {
        file: PathBuf,
        source: serde_yaml_ng::Error,
    },
}

/// Replaces every file reference in `document`, relative to `dir` (the document's directory), by
/// the referenced file: a `.vtl` file as its text, any other as its parsed (and inlined) value.
pub fn inline_file_refs(document: &mut Value, dir: &Path) -> Result<(), FileRefError> {
    inline(document, dir, &mut Vec::new())
}

/// `chain`: the files being inlined, outermost first (the document itself is not one).
fn inline(value: &mut Value, dir: &Path, chain: &mut Vec<PathBuf>) -> Result<(), FileRefError> {
    match value {
        Value::Object(object) => {
            if let Some(reference) = file_reference(object, chain)? {
                *value = read_referenced(&dir.join(reference), chain)?;
                return Ok(());
            }
            object
                .values_mut()
                .try_for_each(|child| inline(child, dir, chain))
        }
        Value::Array(items) => items
            .iter_mut()
            .try_for_each(|child| inline(child, dir, chain)),
        _ => Ok(()),
    }
}

fn referrer(chain: &[PathBuf]) -> String {
    chain.last().map_or_else(
        || "the document".to_owned(),
        |file| file.display().to_string(),
    )
}

/// The file a `$ref` object names; JSON-pointer references (`#/...`) are API Gateway's and stay.
fn file_reference(
    object: &serde_json::Map<String, Value>,
    chain: &[PathBuf],
) -> Result<Option<String>, FileRefError> {
    let Some(reference) = object.get("$ref").and_then(Value::as_str) else {
        return Ok(None);
    };
    if reference.starts_with('#') {
        return Ok(None);
    }
    let referrer = referrer(chain);
    if object.len() != 1 {
        return Err(FileRefError::NotAlone {
            referrer,
            reference: reference.to_owned(),
        });
    }
    let is_url = reference.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphabetic())
    });
    if is_url || Path::new(reference).is_absolute() {
        return Err(FileRefError::NotRelative {
            referrer,
            reference: reference.to_owned(),
        });
    }
    Ok(Some(reference.to_owned()))
}

fn read_referenced(file: &Path, chain: &mut Vec<PathBuf>) -> Result<Value, FileRefError> {
    let canonical = |path: &Path| std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let referrer = referrer(chain);
    if chain.iter().any(|seen| canonical(seen) == canonical(file)) {
        let names: Vec<String> = chain
            .iter()
            .map(|seen| seen.display().to_string())
            .collect();
        return Err(FileRefError::Cycle(format!(
            "{} -> {}",
            names.join(" -> "),
            file.display()
        )));
    }
    let text = std::fs::read_to_string(file).map_err(|source| FileRefError::Missing {
        referrer,
        file: file.to_path_buf(),
        source,
    })?;
    if file.extension().is_some_and(|extension| extension == "vtl") {
        return Ok(Value::String(text));
    }
    let mut value: Value =
        serde_yaml_ng::from_str(&text).map_err(|source| FileRefError::Unparsable {
            file: file.to_path_buf(),
            source,
        })?;
    chain.push(file.to_path_buf());
    let inlined = inline(&mut value, file.parent().unwrap_or(Path::new(".")), chain);
    chain.pop();
    inlined.map(|()| value)
}
