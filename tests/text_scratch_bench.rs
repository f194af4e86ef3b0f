use std::io::BufRead;
#[test]
fn bench() {
    let f = std::fs::File::open("/tmp/text_reference_full.jsonl").unwrap();
    let texts: Vec<String> = std::io::BufReader::new(f).lines().map(|l| {
        let v: serde_json::Value = serde_json::from_str(&l.unwrap()).unwrap();
        v["text"].as_str().unwrap().to_string()
    }).collect();
    let simplified: Vec<String> = texts.iter().map(|x| datasieve::text::simplify::simplify_text(x)).collect();
    let mb: f64 = texts.iter().map(|t| t.len()).sum::<usize>() as f64 / 1e6;
    let smb: f64 = simplified.iter().map(|t| t.len()).sum::<usize>() as f64 / 1e6;
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let n: usize = texts.iter().map(|x| datasieve::text::tokenizer::count_words(x)).sum();
        println!("count_words raw {:.1} MB/s {n}", mb / t.elapsed().as_secs_f64());
        let t = std::time::Instant::now();
        let n: usize = simplified.iter().map(|x| datasieve::text::tokenizer::count_words(x)).sum();
        println!("count_words simplified {:.1} MB/s {n}", smb / t.elapsed().as_secs_f64());
    }
}
