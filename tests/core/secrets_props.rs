//! Property tests: the scanner and helpers never panic and keep their
//! span / line invariants on arbitrary input.

use layerscope_core::secrets::{mask, mask_spans, split_build_args, Scanner};
use proptest::prelude::*;
use std::sync::OnceLock;

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(Scanner::builtin)
}

fn check_matches(data: &[u8], m: &[layerscope_core::secrets::Match]) {
    for m in m {
        assert!(m.span.start <= m.span.end && m.span.end <= data.len());
        let line = 1 + data[..m.span.start].iter().filter(|&&b| b == b'\n').count();
        assert_eq!(m.line as usize, line);
        let ls = data[..m.span.start]
            .iter()
            .rposition(|&b| b == b'\n')
            .map(|i| i + 1)
            .unwrap_or(0);
        assert_eq!(m.column as usize, m.span.start - ls + 1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn scan_file_arbitrary(data in proptest::collection::vec(any::<u8>(), 0..4096),
                           path in "[a-z./_-]{0,30}") {
        let m = scanner().scan_file(path.as_bytes(), &data);
        check_matches(&data, &m);
    }

    #[test]
    fn scan_text_keywordy(parts in proptest::collection::vec(
        prop_oneof![
            Just("password=".to_string()), Just("token: ".to_string()), Just("ghp_".to_string()),
            Just("-----BEGIN PRIVATE KEY-----\n".to_string()), Just("https://".to_string()),
            Just("|2 ".to_string()), Just("ENV ".to_string()), Just("\n".to_string()),
            "[A-Za-z0-9_=:@/.é -]{0,40}",
        ], 0..30)) {
        let text: String = parts.concat();
        let m = scanner().scan_text(&text);
        check_matches(text.as_bytes(), &m);
        for m in &m {
            // spans of str input are on char boundaries
            let _ = &text[m.span.clone()];
        }
        let spans: Vec<_> = m.iter().map(|m| m.span.clone()).collect();
        let _ = mask_spans(&text, &spans);
        let _ = scanner().scan_env(&text);
    }

    #[test]
    fn mask_spans_arbitrary(text in "\\PC{0,60}", spans in proptest::collection::vec((0usize..80, 0usize..80), 0..5)) {
        let spans: Vec<_> = spans.into_iter().map(|(a, b)| a..b).collect();
        let _ = mask_spans(&text, &spans);
        let m = mask(&text);
        prop_assert!(m.chars().count() <= 5);
    }

    #[test]
    fn build_args_ranges_consistent(s in "(RUN )?\\|[0-9] ([A-Z_]{1,6}=[a-z0-9 ]{0,8} ){0,4}(/bin/sh -c )?[a-z ]{0,10}") {
        for a in split_build_args(&s) {
            prop_assert_eq!(&s[a.value_range.clone()], a.value.as_str());
        }
    }
}
