//! Checks the pins that `npm start` / `npm test` set-up relies on, so a dependency bump that
//! would break the wasm build on a fresh machine fails here first, with a message saying why.

use std::fs;
use std::path::Path;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    fs::read_to_string(&path).unwrap_or_else(|error| panic!("reading {}: {error}", path.display()))
}

/// The version of the package `name` in Cargo.lock (the first entry if several are locked).
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{name}\"") {
            let version = lines
                .next()?
                .strip_prefix("version = \"")?
                .strip_suffix('"')?;
            return Some(version.to_owned());
        }
    }
    None
}

/// scripts/setup.sh installs wasm-bindgen-cli at the Cargo.lock version, and the CLI refuses to
/// process a module built by any other wasm-bindgen: the façade must pin it exactly (`=x.y.z`) so
/// `cargo update` cannot move the library away from the installed CLI.
#[test]
fn wasm_bindgen_is_pinned_exactly_to_the_locked_version() {
    let manifest = read("crates/wasm/Cargo.toml");
    let pin = manifest
        .lines()
        .find_map(|line| line.trim().strip_prefix("wasm-bindgen = \"="))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("crates/wasm/Cargo.toml must pin wasm-bindgen as `wasm-bindgen = \"=x.y.z\"`");
    let locked =
        locked_version(&read("Cargo.lock"), "wasm-bindgen").expect("wasm-bindgen in Cargo.lock");
    assert_eq!(pin, locked, "the wasm-bindgen pin and Cargo.lock disagree");
}

/// The browser tests run as root on CI: Chromium needs --no-sandbox there, and the
/// background-networking switches keep its own traffic out of the "no network" checks.
#[test]
fn webdriver_config_runs_chromium_headless_without_sandbox_or_background_traffic() {
    let config: serde_json::Value =
        serde_json::from_str(&read("crates/wasm/webdriver.json")).expect("valid JSON");
    let args: Vec<&str> = config["goog:chromeOptions"]["args"]
        .as_array()
        .expect("goog:chromeOptions.args")
        .iter()
        .map(|arg| arg.as_str().expect("string arg"))
        .collect();
    for required in [
        "--headless=new",
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-component-update",
    ] {
        assert!(
            args.contains(&required),
            "webdriver.json lacks {required}: {args:?}"
        );
    }
}
