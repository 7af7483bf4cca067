//! The house, guarded: no import cycle between the modules of either crate (file by file, and
//! folder by folder), the pure layers (case model, matching, loading, verify) never reach the
//! HTTP client, provisioning, the live side, reporting or the command, the mock names nothing
//! of the runner, no source file outside `tests/` is over 400 lines, and ARCHITECTURE.md's code
//! maps name exactly the modules of the tree.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A module: its path (`case::matching::parse`), its file, and its text without test code.
struct Module {
    path: String,
    file: PathBuf,
    code: String,
    children: BTreeSet<String>,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file without comments and without its `#[cfg(test)] mod tests { … }` tail.
fn code_of(text: &str) -> String {
    let mut code = String::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]")
            && lines
                .get(i + 1)
                .is_some_and(|n| n.trim_start().starts_with("mod tests"))
        {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        code.push_str(line);
        code.push('\n');
    }
    code
}

/// Every module of a crate's `src/` (binaries and `tests.rs` files left out).
fn modules(src: &Path) -> BTreeMap<String, Module> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut out = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap().with_extension("");
        let mut parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if parts.last().is_some_and(|l| l == "mod") {
            parts.pop();
        }
        let path = parts.join("::");
        if matches!(path.as_str(), "lib" | "main") || parts.last().is_some_and(|l| l == "tests") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let children = text
            .lines()
            .filter_map(|l| {
                let l = l.trim_start();
                let l = l
                    .strip_prefix("pub(crate) ")
                    .or(l.strip_prefix("pub "))
                    .unwrap_or(l);
                l.strip_prefix("mod ")?
                    .strip_suffix(';')
                    .map(str::to_string)
            })
            .filter(|c| c != "tests")
            .collect();
        out.insert(
            path.clone(),
            Module {
                path,
                file,
                code: code_of(&text),
                children,
            },
        );
    }
    out
}

/// The longest prefix of `segments` that names a module.
fn resolve(segments: &[&str], known: &BTreeMap<String, Module>) -> Option<String> {
    (1..=segments.len())
        .rev()
        .map(|n| segments[..n].join("::"))
        .find(|p| known.contains_key(p))
}

/// The modules a module refers to: `crate::…` paths, `super::…` paths and its own children
/// named bare (`suite::run`).
fn references(m: &Module, known: &BTreeMap<String, Module>) -> BTreeSet<String> {
    let path_re = regex::Regex::new(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)").unwrap();
    let group_re = regex::Regex::new(r"\b(crate|super)::\{([^}]*)\}").unwrap();
    let parent: Vec<&str> = m.path.split("::").collect();
    let is_mod_rs = m.file.file_name().is_some_and(|f| f == "mod.rs");
    let base = |root: &str| -> Vec<String> {
        match root {
            "crate" => Vec::new(),
            // In a mod.rs, `super` is the folder's parent; in a file, the file's folder.
            _ => parent[..parent.len() - 1]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    };
    let mut out = BTreeSet::new();
    let mut add = |segments: Vec<String>| {
        let refs: Vec<&str> = segments.iter().map(String::as_str).collect();
        if let Some(target) = resolve(&refs, known)
            && target != m.path
        {
            out.insert(target);
        }
    };
    for c in path_re.captures_iter(&m.code) {
        let mut segments = base(&c[1]);
        segments.extend(
            c[2].split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        );
        add(segments);
    }
    for c in group_re.captures_iter(&m.code) {
        for item in c[2].split(',') {
            let first = item.split("::").next().unwrap_or("").trim().to_string();
            let mut segments = base(&c[1]);
            segments.push(first);
            add(segments);
        }
    }
    let _ = is_mod_rs;
    // `use super::*;` depends on the parent as a whole.
    if m.code.contains("use super::*;") {
        add(base("super"));
    }
    for child in &m.children {
        let named = regex::Regex::new(&format!(r"(?:^|[^:\w]){child}::")).unwrap();
        if named.is_match(&m.code) {
            out.insert(format!("{}::{child}", m.path));
        }
    }
    out
}

/// A cycle in the graph, if there is one (as the modules along it).
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            match state.get(m.as_str()) {
                Some(1) => {
                    let at = stack.iter().position(|s| s == m).unwrap_or(0);
                    let mut cycle = stack[at..].to_vec();
                    cycle.push(m.clone());
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(m, graph, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if !state.contains_key(n.as_str())
            && let Some(c) = visit(n, graph, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

fn graph_of(src: &Path) -> (BTreeMap<String, Module>, BTreeMap<String, BTreeSet<String>>) {
    let known = modules(src);
    let graph = known
        .values()
        .map(|m| (m.path.clone(), references(m, &known)))
        .collect();
    (known, graph)
}

/// The folder-level graph: each module as its first path segment.
fn folders(graph: &BTreeMap<String, BTreeSet<String>>) -> BTreeMap<String, BTreeSet<String>> {
    let top = |p: &str| p.split("::").next().unwrap_or(p).to_string();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, tos) in graph {
        let entry = out.entry(top(from)).or_default();
        entry.extend(tos.iter().map(|t| top(t)).filter(|t| *t != top(from)));
    }
    out
}

#[test]
fn neither_crate_has_an_import_cycle() {
    for src in ["src", "mock/src"] {
        let (_, graph) = graph_of(&Path::new(ROOT).join(src));
        assert!(graph.len() > 5, "{src}: no modules read");
        if let Some(cycle) = find_cycle(&graph) {
            panic!("{src}: module cycle {}", cycle.join(" → "));
        }
        if let Some(cycle) = find_cycle(&folders(&graph)) {
            panic!("{src}: folder cycle {}", cycle.join(" → "));
        }
    }
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let g: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect()))
    .collect();
    assert_eq!(find_cycle(&g).unwrap().len(), 4);
}

/// What the pure layers may not reach: the HTTP client and everything that sends, decides a
/// run or prints.
const NOT_FOR_PURE_LAYERS: &[&str] = &[
    "target::client",
    "target::oauth",
    "target::gate",
    "target::safety",
    "target::recorder",
    "provision",
    "live",
    "run",
    "report",
    "cli",
    "selfcheck",
];

fn is_pure(module: &str) -> bool {
    [
        "case",
        "load",
        "diagnostic",
        "run::verify",
        "run::behaviour",
    ]
    .iter()
    .any(|p| module == *p || module.starts_with(&format!("{p}::")))
}

fn layer_violations(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut out = Vec::new();
    for (from, tos) in graph.iter().filter(|(m, _)| is_pure(m)) {
        for to in tos {
            let forbidden = NOT_FOR_PURE_LAYERS
                .iter()
                .any(|f| to == f || to.starts_with(&format!("{f}::")));
            // `target` itself re-exports the client: name what you use by its module.
            let pure = to.starts_with("run::verify") || to.starts_with("run::behaviour");
            if (forbidden && !pure) || to == "target" {
                out.push(format!("{from} uses {to}"));
            }
        }
    }
    out
}

#[test]
fn pure_layers_reach_no_client_provisioning_live_side_or_command() {
    let (_, graph) = graph_of(&Path::new(ROOT).join("src"));
    assert_eq!(layer_violations(&graph), Vec::<String>::new());
    // The rule can fail.
    let mut bad = graph.clone();
    bad.entry("run::verify".into())
        .or_default()
        .insert("target::client".into());
    assert_eq!(layer_violations(&bad), ["run::verify uses target::client"]);
}

#[test]
fn the_mock_names_nothing_of_the_runner() {
    let mut files = Vec::new();
    rust_files(&Path::new(ROOT).join("mock"), &mut files);
    files.push(Path::new(ROOT).join("mock/Cargo.toml"));
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#') && !l.trim_start().starts_with("//"))
            .collect();
        assert!(
            !code.contains("accessreview_conformance")
                && !code.contains("accessreview-conformance ="),
            "{} names the runner",
            f.display()
        );
    }
}

#[test]
fn no_source_file_is_over_400_lines() {
    let mut files = Vec::new();
    for dir in ["src", "mock/src", "benches"] {
        rust_files(&Path::new(ROOT).join(dir), &mut files);
    }
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > 400).then(|| format!("{} ({n} lines)", f.display()))
        })
        .collect();
    assert_eq!(long, Vec::<String>::new());
}

/// The modules a code map in ARCHITECTURE.md names: the first cell of each table row under the
/// heading, each `module` in backticks (several may share a row).
fn code_map(architecture: &str, heading: &str) -> BTreeSet<String> {
    let section = architecture
        .split("\n## ")
        .find(|s| s.starts_with(heading))
        .unwrap_or_else(|| panic!("ARCHITECTURE.md has no section `{heading}`"));
    let tick = regex::Regex::new(r"`([a-z_:/]+)`").unwrap();
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .flat_map(|l| {
            let first = l.split('|').nth(1).unwrap_or("").to_string();
            tick.captures_iter(&first)
                .map(|c| c[1].trim_end_matches('/').replace('/', "::"))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn architecture_md_maps_every_module_of_the_tree_and_no_other() {
    let architecture = std::fs::read_to_string(Path::new(ROOT).join("ARCHITECTURE.md")).unwrap();
    for (src, heading) in [
        ("src", "Code map — runner"),
        ("mock/src", "Code map — mock"),
    ] {
        let tree: BTreeSet<String> = modules(&Path::new(ROOT).join(src)).into_keys().collect();
        let map = code_map(&architecture, heading);
        let missing: Vec<_> = tree.difference(&map).collect();
        let stale: Vec<_> = map.difference(&tree).collect();
        assert!(
            missing.is_empty() && stale.is_empty(),
            "{heading}: modules missing from the map: {missing:?}; rows naming no module: {stale:?}"
        );
    }
}

/// The names a crate root makes public: `pub mod` names and every name of its `pub use` lines.
fn public_surface(lib_rs: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let code = code_of(lib_rs);
    // `pub use` lines may wrap: read each statement up to its `;`.
    for stmt in code.split(';') {
        let stmt = stmt.trim();
        if let Some(m) = stmt.strip_prefix("pub mod ") {
            out.insert(format!("mod {}", m.trim()));
        } else if let Some(path) = stmt.strip_prefix("pub use ") {
            let names = match (path.find('{'), path.rfind('}')) {
                (Some(a), Some(b)) => path[a + 1..b].to_string(),
                _ => path.rsplit("::").next().unwrap_or("").to_string(),
            };
            out.extend(
                names
                    .split(',')
                    .map(|n| n.trim().to_string())
                    .filter(|n| !n.is_empty()),
            );
        }
    }
    out
}

#[test]
fn the_mocks_public_surface_is_the_one_chosen() {
    let lib = std::fs::read_to_string(Path::new(ROOT).join("mock/src/lib.rs")).unwrap();
    let chosen: BTreeSet<String> = [
        "AppCredential",
        "ClientApp",
        "CredentialError",
        "Deviation",
        "Lifecycle",
        "MockOptions",
        "MockServer",
        "MockServerBuilder",
        "GetLists",
        "ListOrder",
        "SilentPage",
        "SilentPageError",
        "ReceivedRequest",
        "Refusal",
        "RequestKind",
        "Restricted",
        "Seeded",
        "UnknownDeviation",
        "UnknownVariant",
        "Variant",
        "Why",
        "router",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    assert_eq!(
        public_surface(&lib),
        chosen,
        "mock/src/lib.rs: a change to the public API is a choice; update this list with it"
    );
    // The reader sees a `pub mod` and a wrapped `pub use`.
    assert_eq!(
        public_surface("pub mod spec;\npub use a::{\n    B,\n    C,\n};\npub use d::E;\nmod f;\n"),
        ["B", "C", "E", "mod spec"]
            .into_iter()
            .map(str::to_string)
            .collect()
    );
}
