//! The committed generated code must be exactly what the generator
//! produces from the vendored models: regenerate into a temporary directory
//! and compare byte for byte.

use std::path::Path;

#[test]
fn generated_code_is_up_to_date() {
    let root = xtask::workspace_root();
    let tmp = tempfile::tempdir().unwrap();
    let written = xtask::codegen(&root, tmp.path()).expect("codegen runs");
    let names: Vec<String> = written.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for expected in ["mod.rs", "firehose.rs", "kinesis.rs", "kms.rs", "logs.rs"] {
        assert!(names.iter().any(|n| n == expected), "codegen did not write {expected}: {names:?}");
    }
    let committed_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/generated");
    for path in written {
        let name = path.file_name().unwrap();
        let fresh = std::fs::read_to_string(&path).unwrap();
        let committed = std::fs::read_to_string(committed_dir.join(name)).unwrap_or_default();
        assert!(fresh == committed, "src/generated/{} is stale: run `cargo xtask codegen`", name.to_string_lossy());
    }
}

#[test]
fn generation_is_deterministic() {
    let root = xtask::workspace_root();
    let a = xtask::generate_all(&root).unwrap();
    let b = xtask::generate_all(&root).unwrap();
    assert_eq!(a, b);
}
