//! Folding: lower case, diacritics removed, Serbian Cyrillic transliterated to Latin.
//!
//! Vocabularies are folded once at load time and cells once per scan, so every matcher can
//! compare case-sensitively (Aho-Corasick is about 3.5× faster on pre-folded text than in
//! case-insensitive mode, DESIGN.md §3). `ë` and `e` fold together, as do `ç` and `c`:
//! Albanian writers drop diacritics constantly (`Gjakove`, `Thaci`), and a detector that
//! distinguished them would miss most real data.

/// Fold `s` into `out` (cleared first).
pub fn fold_into(s: &str, out: &mut String) {
    out.clear();
    if s.is_ascii() {
        out.push_str(s);
        out.make_ascii_lowercase();
        return;
    }
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            push_folded(c, out);
        }
    }
}

/// Fold into a new string.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out);
    out
}

fn push_folded(c: char, out: &mut String) {
    let lower = if c.is_uppercase() {
        c.to_lowercase().next().unwrap_or(c)
    } else {
        c
    };
    let rep: &str = match lower {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'ç' | 'ć' | 'č' | 'ĉ' | 'ċ' => "c",
        'ď' => "d",
        'đ' => "dj",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ı' | 'ī' => "i",
        'ľ' | 'ĺ' | 'ł' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ő' => "o",
        'ŕ' | 'ř' => "r",
        'ś' | 'š' | 'ş' => "s",
        'ť' | 'ţ' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ů' | 'ű' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        'ß' => "ss",
        // Serbian Cyrillic, transliterated 1:1 to Latin and then folded (č → c, ...).
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'ђ' => "dj",
        'е' => "e",
        'ж' => "z",
        'з' => "z",
        'и' => "i",
        'ј' => "j",
        'к' => "k",
        'л' => "l",
        'љ' => "lj",
        'м' => "m",
        'н' => "n",
        'њ' => "nj",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'ћ' => "c",
        'у' => "u",
        'ф' => "f",
        'х' => "h",
        'ц' => "c",
        'ч' => "c",
        'џ' => "dz",
        'ш' => "s",
        // Typographic punctuation that shows up in exports.
        '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{2032}' => "'",
        '\u{201c}' | '\u{201d}' | '\u{201e}' => "\"",
        '\u{2013}' | '\u{2014}' | '\u{2212}' => "-",
        '\u{a0}' => " ",
        other => {
            out.push(other);
            return;
        }
    };
    out.push_str(rep);
}

/// Whether the text contains Cyrillic letters (a strong Serbian signal).
pub fn has_cyrillic(s: &str) -> bool {
    s.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_albanian_serbian_and_cyrillic_alike() {
        assert_eq!(fold("Gjakovë"), "gjakove");
        assert_eq!(fold("THAÇI"), "thaci");
        assert_eq!(fold("Đakovica"), "djakovica");
        assert_eq!(fold("Ђаковица"), "djakovica");
        assert_eq!(fold("Љубљана"), "ljubljana");
        assert_eq!(fold("Штрпце"), "strpce");
        assert_eq!(fold("Štrpce"), "strpce");
        assert_eq!(fold("Џамија"), "dzamija");
        assert_eq!(fold("ПРАВОСЛАВНИ"), "pravoslavni");
    }

    #[test]
    fn ascii_fast_path_only_lowercases() {
        assert_eq!(fold("Nr_Personal 12"), "nr_personal 12");
    }
}
