//! "Did you mean …?" hints for misspelt keys, actions and categories.

/// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let w = word.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = distance(&w, &c.to_ascii_lowercase());
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let (d, c) = best?;
    let limit = (w.chars().count() / 3).max(2);
    (d <= limit).then_some(c)
}

/// `" (did you mean `x`?)"` or an empty string.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    nearest(word, candidates)
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

/// Add a hint to a serde "unknown field `x`, expected one of `a`, `b`" or "unknown variant"
/// message, using the candidates serde lists.
pub fn improve_serde_message(msg: &str) -> String {
    let Some(rest) = msg
        .split_once("unknown field `")
        .or_else(|| msg.split_once("unknown variant `"))
        .map(|(_, r)| r)
    else {
        return msg.to_string();
    };
    let Some((word, tail)) = rest.split_once('`') else {
        return msg.to_string();
    };
    let candidates: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
    let hint = did_you_mean(word, candidates.iter().copied());
    if hint.is_empty() {
        return msg.to_string();
    }
    // Put the hint right after the first line of the message.
    match msg.split_once('\n') {
        Some((first, more)) => format!("{first}{hint}\n{more}"),
        None => format!("{msg}{hint}"),
    }
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_words_only() {
        assert_eq!(
            nearest("pseudonymize", ["pseudonymise", "mask"]),
            Some("pseudonymise")
        );
        assert_eq!(nearest("otput", ["output", "inputs"]), Some("output"));
        assert_eq!(nearest("zzzzzz", ["output", "inputs"]), None);
        let m = improve_serde_message(
            "unknown field `keep_lst`, expected one of `keep_first`, `keep_last`",
        );
        assert!(m.contains("did you mean `keep_last`?"), "{m}");
        assert_eq!(
            improve_serde_message("missing field `x`"),
            "missing field `x`"
        );
    }
}
