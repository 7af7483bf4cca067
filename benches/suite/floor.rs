//! Part 1, the floor: the suite against the in-process mock versus a bare replay of the same
//! exchanges (the same requests per trial, in order, the ids the mock gives this replay put in
//! place of the recorded run's, so that the mock does the same work).

use std::sync::Arc;
use std::time::Instant;

use accessreview_conformance::selfcheck::embedded::{Embedded, EmbeddedOptions};
use accessreview_conformance::target::HttpRequest;

use super::{Recorded, median, shipped, timed_run};

/// A recorded request and the status and body it was answered with.
type Exchange = (HttpRequest, Option<(u16, Vec<u8>)>);

/// The request with every id of the recorded run replaced by this replay's.
fn with_ids(req: &HttpRequest, ids: &[(String, String)]) -> HttpRequest {
    let mut req = req.clone();
    for (old, new) in ids {
        req.url = req.url.replace(old.as_str(), new);
        if let Some(body) = &req.body {
            let text = String::from_utf8_lossy(body).replace(old.as_str(), new);
            req.body = Some(text.into_bytes());
        }
    }
    req
}

/// The ids a seeding answer gave, paired with those the recorded answer gave.
fn seeded_ids(recorded: Option<&[u8]>, replayed: &[u8]) -> Vec<(String, String)> {
    let ids = |body: &[u8]| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let mut out: Vec<String> = v["definitionId"]
            .as_str()
            .map(str::to_string)
            .into_iter()
            .collect();
        out.extend(
            v["instanceIds"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| i.as_str().map(str::to_string)),
        );
        out
    };
    let old = recorded.map(ids).unwrap_or_default();
    old.into_iter().zip(ids(replayed)).collect()
}

/// Part 1: the suite against the in-process mock versus a bare replay of the same requests
/// (same client, same per-trial order, all trials at once; no loading, matching or schemas).
/// Returns whether the ratio met its target (a profiling run has none and meets it).
pub(crate) async fn floor() -> bool {
    let embedded = Embedded::start(EmbeddedOptions::fresh()).await.unwrap();
    let (_, trials, _) = shipped();
    let _ = timed_run(&embedded.target, &trials).await; // warm-up
    let recorded: Recorded = Arc::default();
    let mut recording = embedded.target.clone();
    recording.recorder = Some(Arc::clone(&recorded));
    let _ = timed_run(&recording, &trials).await;
    let mut by_trial: Vec<(String, Vec<Exchange>)> = Vec::new();
    for r in recorded.lock().unwrap().drain(..) {
        let exchange = (r.request, r.answer);
        match by_trial.iter_mut().find(|(t, _)| *t == r.trial) {
            Some((_, list)) => list.push(exchange),
            None => by_trial.push((r.trial, vec![exchange])),
        }
    }
    let requests: usize = by_trial.iter().map(|(_, l)| l.len()).sum();
    let by_trial = Arc::new(by_trial);
    // How many replayed answers had another status than in the suite's run (a replay that
    // addressed deleted fixtures would answer 404 cheaply and flatter the ratio).
    let differing = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let replay_once = || async {
        let started = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for k in 0..by_trial.len() {
            let target = embedded.target.clone();
            let by_trial = Arc::clone(&by_trial);
            let differing = Arc::clone(&differing);
            set.spawn(async move {
                // The ids the recorded run was given → the ones this replay is given.
                let mut ids: Vec<(String, String)> = Vec::new();
                for (req, answer) in &by_trial[k].1 {
                    let req = with_ids(req, &ids);
                    let Ok(resp) = target.send(&req).await else {
                        continue;
                    };
                    if answer.as_ref().map(|(status, _)| *status) != Some(resp.status) {
                        differing.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    if req.method == "POST" && req.url.ends_with("/fixtures") {
                        ids.extend(seeded_ids(answer.as_ref().map(|(_, b)| &b[..]), &resp.body));
                    }
                }
            });
        }
        while set.join_next().await.is_some() {}
        started.elapsed().as_secs_f64() * 1000.0
    };
    // For a profiler: `BENCH_PROFILE=suite` (or `replay`) runs only that side, BENCH_N times
    // (300 by default), after the recording run, and prints no ratio.
    if let Ok(side) = std::env::var("BENCH_PROFILE") {
        let n: usize = std::env::var("BENCH_N")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(300);
        let started = Instant::now();
        for _ in 0..n {
            if side == "replay" {
                replay_once().await;
            } else {
                timed_run(&embedded.target, &trials).await;
            }
        }
        println!("floor ({side} only): {n} runs in {:?}", started.elapsed());
        return true;
    }
    // Suite and replay runs alternate, so that drift on the machine (and the mock's growing
    // state) weighs on both alike; each figure is a median of RUNS (with 31, a ratio moved by
    // ±0.05 from one bench run to the next).
    const RUNS: usize = 101;
    let (mut suite, mut replay) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        suite.push(timed_run(&embedded.target, &trials).await);
        replay.push(replay_once().await);
    }
    let (s, r) = (median(suite), median(replay));
    let ratio = s / r;
    let differing = differing.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "floor: {} trials, {requests} requests; suite {s:.1} ms, bare replay {r:.1} ms (medians of {RUNS} alternating runs; {differing} of {} replayed answers differed in status from the suite's), ratio {:.2} (target <= 1.2)",
        trials.len(),
        requests * RUNS,
        ratio
    );
    super::within("floor", ratio <= 1.2)
}
