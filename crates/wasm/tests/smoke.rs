//! Browser smoke tests for the platform the page relies on: a `File` handed to a dedicated Web
//! Worker is read there by byte ranges (`Blob.slice` + `FileReaderSync`), never whole, and every
//! byte arrives intact.
//!
//! Run in headless Chromium by `npm test` (see scripts/test.sh), or by hand:
//! `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner CHROMEDRIVER=/usr/bin/chromedriver
//!  cargo test -p datasieve-wasm --target wasm32-unknown-unknown`
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Blob, BlobPropertyBag, File, FilePropertyBag, MessageEvent, Url, Worker};

wasm_bindgen_test_configure!(run_in_browser);

/// A classic worker script. On `{file, chunk}` it reads `file` in `chunk`-byte ranges and posts
/// back what it saw: the file's name, type and size, the length of every range it read, the
/// total, and a 32-bit rolling checksum of the bytes in order (so a lost, duplicated or
/// reordered range would show).
const RANGE_READER_WORKER: &str = r#"
self.onmessage = (event) => {
  const { file, chunk } = event.data;
  const reader = new FileReaderSync();
  const rangeLengths = [];
  let total = 0;
  let checksum = 0;
  for (let start = 0; start < file.size; start += chunk) {
    const range = file.slice(start, Math.min(start + chunk, file.size));
    const bytes = new Uint8Array(reader.readAsArrayBuffer(range));
    rangeLengths.push(bytes.length);
    total += bytes.length;
    for (const byte of bytes) checksum = (Math.imul(checksum, 31) + byte) >>> 0;
  }
  self.postMessage({ name: file.name, type: file.type, size: file.size, rangeLengths, total, checksum });
};
"#;

/// The same checksum as the worker computes, over the bytes we put into the `File`.
fn rolling_checksum(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0u32, |sum, &byte| {
        sum.wrapping_mul(31).wrapping_add(u32::from(byte))
    })
}

/// Bytes that cover all 256 values, including invalid UTF-8, so a worker that decoded text
/// instead of reading raw bytes would change them.
fn sample_bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 7 + i / 256) % 256) as u8).collect()
}

fn make_file(bytes: &[u8], name: &str, mime: &str) -> File {
    let parts = Array::of1(&Uint8Array::from(bytes));
    let options = FilePropertyBag::new();
    options.set_type(mime);
    File::new_with_u8_array_sequence_and_options(&parts, name, &options).expect("File constructor")
}

fn spawn_range_reader() -> (Worker, String) {
    let options = BlobPropertyBag::new();
    options.set_type("text/javascript");
    let script =
        Blob::new_with_str_sequence_and_options(&Array::of1(&RANGE_READER_WORKER.into()), &options)
            .expect("Blob constructor");
    let url = Url::create_object_url_with_blob(&script).expect("object URL for the worker script");
    let worker = Worker::new(&url).expect("dedicated worker from a Blob URL");
    (worker, url)
}

/// Sends `file` to a fresh worker that reads it `chunk` bytes at a time, and returns its reply.
async fn read_in_worker(file: &File, chunk: u32) -> JsValue {
    let (worker, url) = spawn_range_reader();
    let reply = Promise::new(&mut |resolve, reject| {
        let on_message = Closure::once_into_js(move |event: MessageEvent| {
            resolve.call1(&JsValue::NULL, &event.data()).unwrap();
        });
        let on_error = Closure::once_into_js(move |event: JsValue| {
            let message = Reflect::get(&event, &"message".into()).unwrap_or(JsValue::UNDEFINED);
            reject.call1(&JsValue::NULL, &message).unwrap();
        });
        worker.set_onmessage(Some(on_message.unchecked_ref()));
        worker.set_onerror(Some(on_error.unchecked_ref()));
    });
    let request = Object::new();
    Reflect::set(&request, &"file".into(), file).unwrap();
    Reflect::set(&request, &"chunk".into(), &chunk.into()).unwrap();
    worker
        .post_message(&request)
        .expect("postMessage to the worker");
    let result = JsFuture::from(reply).await;
    worker.terminate();
    Url::revoke_object_url(&url).unwrap();
    result.unwrap_or_else(|error| panic!("the worker failed: {error:?}"))
}

fn field(reply: &JsValue, name: &str) -> JsValue {
    Reflect::get(reply, &name.into()).unwrap_or_else(|_| panic!("reply has no field {name}"))
}

fn number(reply: &JsValue, name: &str) -> f64 {
    field(reply, name)
        .as_f64()
        .unwrap_or_else(|| panic!("reply field {name} is not a number"))
}

fn range_lengths(reply: &JsValue) -> Vec<u32> {
    Array::from(&field(reply, "rangeLengths"))
        .iter()
        .map(|length| length.as_f64().expect("range length is a number") as u32)
        .collect()
}

#[wasm_bindgen_test]
async fn worker_reads_a_file_by_ranges_and_sees_every_byte() {
    let bytes = sample_bytes(10_000);
    let file = make_file(&bytes, "sample.jsonl", "application/jsonl");

    let reply = read_in_worker(&file, 4096).await;

    assert_eq!(
        field(&reply, "name").as_string().as_deref(),
        Some("sample.jsonl")
    );
    assert_eq!(
        field(&reply, "type").as_string().as_deref(),
        Some("application/jsonl")
    );
    assert_eq!(number(&reply, "size"), 10_000.0);
    assert_eq!(range_lengths(&reply), vec![4096, 4096, 1808]);
    assert_eq!(number(&reply, "total"), 10_000.0);
    assert_eq!(
        number(&reply, "checksum"),
        f64::from(rolling_checksum(&bytes))
    );
}

#[wasm_bindgen_test]
async fn worker_range_reads_handle_odd_chunk_sizes_and_empty_files() {
    let bytes = sample_bytes(1_000);
    let file = make_file(&bytes, "odd.bin", "application/octet-stream");
    let reply = read_in_worker(&file, 333).await;
    assert_eq!(range_lengths(&reply), vec![333, 333, 333, 1]);
    assert_eq!(
        number(&reply, "checksum"),
        f64::from(rolling_checksum(&bytes))
    );

    let empty = make_file(&[], "empty.jsonl", "");
    let reply = read_in_worker(&empty, 4096).await;
    assert_eq!(number(&reply, "size"), 0.0);
    assert!(range_lengths(&reply).is_empty());
    assert_eq!(number(&reply, "checksum"), 0.0);
}
