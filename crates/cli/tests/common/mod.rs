//! Helpers shared by the CLI test files: run the built binary and read what it printed.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

pub fn datasieve(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_datasieve"))
        .args(args)
        .output()
        .expect("run datasieve")
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited, not killed")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}
