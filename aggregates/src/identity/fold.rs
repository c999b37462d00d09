//! Folding Vietnamese names (and other free text such as a school) to search keys.
//!
//! Two layers: [`fold`] removes what a keyboard or a form may or may not have typed (tone and
//! vowel marks after Unicode NFD, `đ`, case, spacing), so `Hoà`/`Hòa` (old and new tone placement),
//! `HÒA` and `hoa` are one key. [`telex_fold`] additionally undoes Telex input that was typed
//! without the input method converting it (`Nguyeenx` → `nguyen`, `Thij` → `thi`), which operators
//! meet when the IME is off.

use unicode_normalization::UnicodeNormalization;

/// Lower case, marks removed, `đ` → `d`, spaces collapsed: `  Lò  Thị Mai ` → `lo thi mai`.
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            // Punctuation inside names (`Hồ-Thị`, `Mai.`) is noise for matching.
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The words of a folded name. Besides [`fold`], the keystrokes of the other two Vietnamese
/// input methods typed with the method off are dropped: VNI's digits (`Nguye6n4`) and VIQR's
/// marks (`Nguye^~n`, `Thi.`), since a name holds neither digits nor such signs; a hyphen or
/// an underscore still separates words.
pub fn tokens(text: &str) -> Vec<String> {
    let cleaned: String = text
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .filter_map(|c| match c {
            'đ' | 'Đ' => Some('d'),
            c if c.is_alphabetic() => Some(c),
            c if c.is_whitespace() || matches!(c, '-' | '_' | ',' | '/') => Some(' '),
            _ => None,
        })
        .flat_map(char::to_lowercase)
        .collect();
    cleaned
        .split_whitespace()
        .map(telex_token)
        .filter(|t| !t.is_empty())
        .collect()
}

/// One folded word with unconverted Telex keystrokes removed.
///
/// Safe on real Vietnamese syllables because a syllable never ends in `s f r x j` (its finals are
/// c, ch, m, n, ng, nh, p, t and the vowels), doubled `aa ee oo dd` never occur in the folded
/// spelling, and `w` is not a Vietnamese letter (a lone `w` is Telex for `ư`). Names of other origins pass mostly unchanged and
/// both sides of a comparison are folded alike.
pub fn telex_token(word: &str) -> String {
    // Telex `aw ow uw` mark a vowel (ă ơ ư) and a lone `w` is `ư`.
    let mut chars: Vec<char> = Vec::with_capacity(word.len());
    for c in word.chars() {
        match (c, chars.last()) {
            ('w', Some('a' | 'o' | 'u')) => {}
            ('w', _) => chars.push('u'),
            (c, _) => chars.push(c),
        }
    }
    // A tone key may be typed at the end of the word, or right after the vowel it marks
    // (`Nguyeexn`); only the end is unambiguous, so drop trailing tone keys.
    while chars.len() > 1 && matches!(chars.last(), Some('s' | 'f' | 'r' | 'x' | 'j')) {
        chars.pop();
    }
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    for c in chars {
        if matches!(c, 'a' | 'e' | 'o' | 'd') && out.last() == Some(&c) {
            continue;
        }
        out.push(c);
    }
    // Tone keys typed right after the vowel, before the final consonant (`Nguyeexn`, `Thuyf`).
    let text: String = out.into_iter().collect();
    strip_inner_tone_keys(&text)
}

/// `nguyexn` → `nguyen`: a tone key between a vowel and the syllable's final consonant(s).
fn strip_inner_tone_keys(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let vowel = |c: char| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
    let mut out = String::with_capacity(word.len());
    for (i, &c) in chars.iter().enumerate() {
        let tone_key = matches!(c, 's' | 'f' | 'r' | 'x' | 'j');
        let after_vowel = i > 0 && vowel(chars[i - 1]);
        let rest: String = chars[i + 1..].iter().collect();
        let final_follows = matches!(
            rest.as_str(),
            "c" | "ch" | "m" | "n" | "ng" | "nh" | "p" | "t"
        );
        if tone_key && after_vowel && final_follows {
            continue;
        }
        out.push(c);
    }
    out
}

/// Digits only, for comparing phone numbers typed with spaces, dots or a +84 prefix.
pub fn phone_key(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix("84") {
        Some(rest) if digits.len() >= 11 => format!("0{rest}"),
        _ => digits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_case_and_spacing_fold_away() {
        assert_eq!(fold("Lò Thị Mai"), "lo thi mai");
        assert_eq!(fold("  ĐẶNG   Văn Hùng "), "dang van hung");
        assert_eq!(fold("Nguyễn Thị Ánh Tuyết"), "nguyen thi anh tuyet");
        assert_eq!(fold("Trương Ngọc Ưng"), "truong ngoc ung");
    }

    #[test]
    fn old_and_new_tone_placement_fold_the_same() {
        // Precomposed and decomposed forms, and the tone on either vowel of the pair.
        assert_eq!(fold("Hoà"), fold("Hòa"));
        assert_eq!(fold("Thuý"), fold("Thúy"));
        assert_eq!(fold("Ho\u{0300}a"), "hoa");
        assert_eq!(fold("Khỏe"), fold("Khoẻ"));
    }

    #[test]
    fn unconverted_telex_folds_to_the_plain_word() {
        assert_eq!(telex_token("nguyeenx"), "nguyen");
        assert_eq!(telex_token("thij"), "thi");
        assert_eq!(telex_token("ddawngj"), "dang");
        assert_eq!(telex_token("truwowngf"), "truong");
        assert_eq!(telex_token("nguyeexn"), "nguyen");
        assert_eq!(telex_token("ddwcs"), "duc");
        assert_eq!(tokens("Lo Thij Mai"), vec!["lo", "thi", "mai"]);
        // Real syllables are left alone.
        for word in [
            "nguyen", "thi", "mai", "hoang", "anh", "tuyet", "quoc", "khanh",
        ] {
            assert_eq!(telex_token(word), word);
        }
    }

    #[test]
    fn vni_and_viqr_keystrokes_fold_away() {
        assert_eq!(tokens("Nguye6n4 Thi5 Mai"), vec!["nguyen", "thi", "mai"]);
        assert_eq!(tokens("Nguye^~n Thi. Ma(i"), vec!["nguyen", "thi", "mai"]);
        assert_eq!(tokens("Hồ-Thị  Lan"), vec!["ho", "thi", "lan"]);
    }

    #[test]
    fn phones_compare_by_digits() {
        assert_eq!(phone_key("+84 912 345 678"), "0912345678");
        assert_eq!(phone_key("0912.345.678"), "0912345678");
    }
}
