use super::*;

#[test]
fn a_long_value_is_cut_with_its_length_and_hash() {
    assert_eq!(capped("short".into(), 10), "short");
    let cut = capped("é".repeat(10), 5);
    assert!(cut.starts_with("éé…"), "{cut}");
    assert!(cut.contains("20 bytes in all, SHA-256 "), "{cut}");
    assert_ne!(capped("a".repeat(100), 10), capped("b".repeat(100), 10));
}
