//! The quick YAML readers against the parsers they stand in for, on arbitrary text.
//!
//! Asserts: no panic; wherever the line reader reads a text, yaml-rust2 reads the same
//! nodes on the same lines (`stagehand::yaml::lines::compare_with_yaml_rust2`); wherever
//! the quick reader gives a tree and serde_yaml reads the text too, the trees are equal,
//! and the position index built in the same pass agrees with the one built alone.

#![no_main]

use libfuzzer_sys::fuzz_target;
use stagehand::yaml::lines::{Agreement, compare_with_yaml_rust2};
use stagehand::yaml::positions::PositionIndex;
use stagehand::yaml::tree::read_simple_indexed;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match compare_with_yaml_rust2(text) {
        Agreement::Declined | Agreement::Same => {}
        other => panic!("the line reader and yaml-rust2 disagree on {text:?}: {other:?}"),
    }
    let Some((tree, index)) = read_simple_indexed(text) else {
        return;
    };
    match serde_yaml::from_str::<serde_json::Value>(text) {
        Ok(theirs) => assert_eq!(tree, theirs, "the quick reader and serde_yaml disagree on {text:?}"),
        Err(error) => panic!("the quick reader reads {text:?}, serde_yaml refuses it: {error}"),
    }
    assert_eq!(index, PositionIndex::build(text), "two position indexes of {text:?}");
});
