//! `cargo bench --bench suite [-- floor|scale|slow|throughput]`: the runner's cost over the HTTP
//! exchanges it must make, its scaling with the number of cases, how it overlaps waits on slow
//! targets, and the reference mock's throughput — each printed as figures and ratios measured
//! in one run (the README quotes them).

use std::sync::Arc;
use std::time::{Duration, Instant};

use accessreview_conformance::case::{TrialSpec, UpdateMethod};
use accessreview_conformance::cli::{Cli, load};
use accessreview_conformance::live::graph::GraphProvisioner;
use accessreview_conformance::load::files::{EMBEDDED_CASES, InputFile, embedded};
use accessreview_conformance::load::{is_case_file, load_suite};
use accessreview_conformance::run::{RunContext, run_all};
use accessreview_conformance::selfcheck::embedded::{Embedded, EmbeddedOptions};
use accessreview_conformance::target::Target;
use accessreview_mock::{Deviation, Lifecycle, MockOptions, MockServer};
use clap::Parser;
use serde_json::json;

type Recorded = accessreview_conformance::target::recorder::Recorder;

#[path = "suite/floor.rs"]
mod floor;
use floor::floor;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn shipped() -> (
    Arc<accessreview_conformance::load::schema::SchemaSet>,
    Vec<TrialSpec>,
    std::collections::HashMap<String, String>,
) {
    let (schemas, suite) = load(&Cli::parse_from(["bench"])).expect("the shipped suite loads");
    let trials = suite.trials(UpdateMethod::Put);
    (schemas, trials, suite.principals)
}

async fn timed_run(target: &Target, trials: &[TrialSpec]) -> f64 {
    static LOADED: std::sync::OnceLock<(
        Arc<accessreview_conformance::load::schema::SchemaSet>,
        std::collections::HashMap<String, String>,
    )> = std::sync::OnceLock::new();
    let (schemas, principals) = LOADED.get_or_init(|| {
        let (schemas, _, principals) = shipped();
        (schemas, principals)
    });
    let ctx = Arc::new(RunContext::new(
        target.clone(),
        Arc::clone(schemas),
        principals.clone(),
    ));
    let started = Instant::now();
    let results = run_all(ctx, trials).await;
    assert!(!results.is_empty());
    started.elapsed().as_secs_f64() * 1000.0
}

/// The process's peak resident memory, in MB (Linux).
fn peak_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Part 2, in a child process: `n` generated cases (copies of the shipped ones).
async fn scale_child(n: usize) {
    let files = embedded(&EMBEDDED_CASES, "cases").unwrap();
    let cases: Vec<&InputFile> = files.iter().filter(|f| is_case_file(&f.rel)).collect();
    let mut inputs: Vec<InputFile> = files
        .iter()
        .filter(|f| !is_case_file(&f.rel))
        .cloned()
        .collect();
    for k in 0..n {
        let c = cases[k % cases.len()];
        let rel = format!("gen/{k}/{}", c.rel);
        inputs.push(InputFile::text(
            rel.clone(),
            format!("cases/{rel}"),
            c.text.clone(),
        ));
    }
    let (schemas, _, _) = shipped();
    let started = Instant::now();
    let suite = load_suite(&inputs, &schemas, None).unwrap();
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    // As the command does: the files' texts are not kept once the cases are loaded.
    drop(inputs);
    if std::env::var_os("BENCH_DEBUG").is_some() {
        eprintln!("after load: peak {:.1} MB", peak_mb());
    }
    let trials = suite.trials(UpdateMethod::Put);
    let embedded = Embedded::start(EmbeddedOptions::fresh()).await.unwrap();
    let ctx = Arc::new(RunContext::new(
        embedded.target.clone(),
        schemas,
        suite.principals.clone(),
    ));
    let started = Instant::now();
    for chunk in trials.chunks(256) {
        let _ = run_all(Arc::clone(&ctx), chunk).await;
    }
    let per_trial_us = started.elapsed().as_secs_f64() * 1e6 / trials.len() as f64;
    println!(
        "{n} {} {load_ms:.1} {per_trial_us:.1} {:.1}",
        trials.len(),
        peak_mb()
    );
}

/// Part 2; false when a target is missed (or a child failed).
fn scale() -> bool {
    let exe = std::env::current_exe().unwrap();
    let mut per_trial = Vec::new();
    let mut peak: f64 = 0.0;
    for n in [100, 1_000, 10_000] {
        let out = std::process::Command::new(&exe)
            .args(["--scale-child", &n.to_string()])
            .output()
            .unwrap();
        let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let f: Vec<f64> = line
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        if f.len() < 5 {
            println!(
                "scale {n}: failed: {line} {}",
                String::from_utf8_lossy(&out.stderr)
            );
            return false;
        }
        println!(
            "scale: {n} cases, {} trials: load {:.1} ms ({:.1} µs/case), {:.1} µs/trial, peak RSS {:.1} MB",
            f[1],
            f[2],
            f[2] * 1000.0 / n as f64,
            f[3],
            f[4]
        );
        per_trial.push(f[3]);
        peak = peak.max(f[4]);
    }
    let ratio = per_trial[2] / per_trial[0];
    println!(
        "scale: per-trial cost at 10,000 / at 100 = {ratio:.2} (target <= 1.2); peak RSS target < 150 MB"
    );
    within("scale", ratio <= 1.2 && peak < 150.0)
}

/// Says so when a part misses its target; returns whether it met it.
fn within(part: &str, met: bool) -> bool {
    if !met {
        println!("{part}: MISSED its target");
    }
    met
}

/// Part 3: slow targets, with every request counted per trial to know the ideal; false when
/// a run missed its target.
async fn slow() -> bool {
    let latency = Duration::from_millis(100);
    let mut met = true;
    for (label, activation, graph) in [
        ("control protocol, 100 ms per answer", Duration::ZERO, false),
        (
            "--fixtures graph, 500 ms activation + 100 ms per answer",
            Duration::from_millis(500),
            true,
        ),
    ] {
        let mut options = EmbeddedOptions::fresh();
        options.lifecycle = Lifecycle {
            activation_delay: activation,
            latency: Some(latency),
            accept_group_filter: true,
            ..Lifecycle::default()
        };
        let embedded = Embedded::start(options).await.unwrap();
        let (schemas, trials, principals) = shipped();
        let recorded: Recorded = Arc::default();
        let mut target = embedded.target.clone();
        target.recorder = Some(Arc::clone(&recorded));
        let ctx = if graph {
            let mut g = GraphProvisioner::new(target.clone(), "bench");
            g.groups = vec!["g1".into(), "g2".into()];
            g.group_filter = true;
            // The mock activates in milliseconds: poll as the earlier releases did.
            g.first_poll = std::time::Duration::from_millis(50);
            Arc::new(RunContext::with_provisioner(
                target,
                Arc::new(g),
                schemas,
                principals,
            ))
        } else {
            Arc::new(RunContext::new(target, schemas, principals))
        };
        let started = Instant::now();
        let _ = run_all(ctx, &trials).await;
        let wall = started.elapsed();
        // The longest chain: the most requests one trial sent in sequence, each one latency,
        // plus the activation wait (polls sent during it are part of the count).
        let mut counts = std::collections::HashMap::<String, u32>::new();
        for r in recorded.lock().unwrap().iter() {
            *counts.entry(r.trial.clone()).or_default() += 1;
        }
        let longest = counts.values().copied().max().unwrap_or(0);
        let ideal = latency * longest + if graph { activation } else { Duration::ZERO };
        let ratio = wall.as_secs_f64() / ideal.as_secs_f64();
        println!(
            "slow ({label}): wall {:.2} s, ideal {:.2} s (longest chain {longest} requests), ratio {ratio:.2} (target <= 1.25)",
            wall.as_secs_f64(),
            ideal.as_secs_f64(),
        );
        met &= within("slow", ratio <= 1.25);
    }
    // A target that never answers updates: the run ends in about one timeout.
    let mut options = EmbeddedOptions::fresh();
    options.deviation = Some(Deviation::Hang);
    options.timeout = Duration::from_secs(2);
    let embedded = Embedded::start(options).await.unwrap();
    let (_, trials, _) = shipped();
    let ms = timed_run(&embedded.target, &trials).await;
    println!(
        "slow (updates never answered, 2 s timeout): the whole run took {:.1} s",
        ms / 1000.0
    );
    met
}

/// Part 5: updates per second on the reference mock from a second process.
async fn throughput() {
    let exe = std::env::current_exe().unwrap();
    let mut child = std::process::Command::new(&exe)
        .arg("--serve-mock")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let base = line.trim().to_string();
    accessreview_conformance::target::install_crypto();
    let client = reqwest::Client::new();
    let seeded: serde_json::Value = client
        .post(base.replace("/beta", "/_conformance/fixtures"))
        .json(&json!({"instances": [{"status": "InProgress"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = format!(
        "{base}/identityGovernance/accessReviews/definitions/{}/instances/{}",
        seeded["definitionId"].as_str().unwrap(),
        seeded["instanceIds"][0].as_str().unwrap()
    );
    let body =
        json!({"scope": {}, "reviewers": [{"query": "/users/a", "queryType": "MicrosoftGraph"}]});
    for connections in [1usize, 64] {
        let total = 4_000usize;
        let started = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..connections {
            let (client, url, body) = (client.clone(), url.clone(), body.clone());
            set.spawn(async move {
                for _ in 0..total / connections {
                    let r = client
                        .put(&url)
                        .bearer_auth("t")
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200);
                    let _ = r.bytes().await;
                }
            });
        }
        while set.join_next().await.is_some() {}
        println!(
            "throughput: {connections} connection(s): {:.0} updates/s",
            total as f64 / started.elapsed().as_secs_f64()
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if let Some(i) = args.iter().position(|a| a == "--scale-child") {
        let n = args.get(i + 1).and_then(|n| n.parse().ok()).unwrap_or(100);
        rt.block_on(scale_child(n));
        return;
    }
    if args.iter().any(|a| a == "--serve-mock") {
        rt.block_on(async {
            let mock = MockServer::start_with("127.0.0.1:0", MockOptions::default())
                .await
                .unwrap();
            println!("{}", mock.base_url());
            std::future::pending::<()>().await;
        });
        return;
    }
    let parts: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    let want = |p: &str| parts.is_empty() || parts.contains(&p);
    println!(
        "machine: {} CPUs",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    // A part that misses its target makes the bench fail (exit 1) once every part has run.
    let mut met = true;
    if want("floor") {
        met &= rt.block_on(floor());
    }
    if want("scale") {
        met &= scale();
    }
    if want("slow") {
        met &= rt.block_on(slow());
    }
    if want("throughput") {
        rt.block_on(throughput());
    }
    if !met {
        std::process::exit(1);
    }
}
