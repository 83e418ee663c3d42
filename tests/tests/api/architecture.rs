//! Dependency arrows point one way: api → persistence → domain. The domain names no HTTP,
//! SQL, OpenAPI or JWT crate; persistence names no HTTP or OpenAPI crate.

use std::process::Command;

fn dependencies(package: &str) -> Vec<String> {
    let output = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("metadata JSON");
    metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == package)
        .unwrap_or_else(|| panic!("package {package}"))["dependencies"]
        .as_array()
        .expect("dependencies")
        .iter()
        .filter(|d| d["kind"].is_null())
        .filter_map(|d| d["name"].as_str().map(str::to_owned))
        .collect()
}

const WEB: &[&str] = &[
    "actix-web",
    "actix-web-httpauth",
    "utoipa",
    "utoipa-actix-web",
    "utoipa-swagger-ui",
    "jsonwebtoken",
    "slr",
];
const SQL: &[&str] = &[
    "diesel",
    "diesel_migrations",
    "libsqlite3-sys",
    "pq-sys",
    "r2d2",
    "slr-persistence",
];

fn assert_free_of(package: &str, forbidden: &[&str]) {
    let deps = dependencies(package);
    for name in forbidden {
        assert!(
            !deps.iter().any(|d| d == name),
            "{package} must not depend on {name}: {deps:?}"
        );
    }
}

#[test]
fn domain_knows_no_http_sql_openapi_or_jwt() {
    assert_free_of("slr-domain", &[WEB, SQL].concat());
}

#[test]
fn persistence_knows_no_http_or_openapi() {
    assert_free_of("slr-persistence", WEB);
    assert!(dependencies("slr-persistence").contains(&"slr-domain".to_owned()));
}

/// Inside `api/src`, layers lowest first: a module may import from its own layer and those
/// below it, never above. `settings` is plain configuration; `http` is plumbing that knows no
/// handler; `views` read and render; `services` are a write's side effects; `workers` run in
/// the background; `middleware` wraps requests; `routes` are handlers; start-up wires it all.
const LAYERS: &[&[&str]] = &[
    &["settings"],
    &["http"],
    &["views"],
    &["services"],
    &["workers"],
    &["middleware"],
    &["routes"],
    &["startup", "cli", "demo", "lib"],
];

/// Every module of the crate under `src` (path segments, `[]` for the root) and its source.
fn modules(src: &std::path::Path) -> Vec<(Vec<String>, String)> {
    fn walk(dir: &std::path::Path, prefix: &[String], out: &mut Vec<(Vec<String>, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("source folder")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_stem().and_then(|s| s.to_str()).expect("name");
            let mut segments = prefix.to_vec();
            if path.is_dir() {
                segments.push(name.to_owned());
                walk(&path, &segments, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                if !matches!(name, "mod" | "lib" | "main") {
                    segments.push(name.to_owned());
                }
                if name != "main" {
                    out.push((segments, std::fs::read_to_string(&path).expect("source")));
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(src, &[], &mut out);
    out
}

/// The identifiers of a path at the start of `text` (`a::b::c`), and what follows its last
/// `::` when that is a group (`{x, y::z}`).
fn leading_path(text: &str) -> (Vec<String>, Option<&str>) {
    let mut path = Vec::new();
    if let Some(group) = text.strip_prefix('{') {
        return (path, Some(group));
    }
    let mut rest = text;
    loop {
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end > 0 {
            path.push(rest[..end].to_owned());
        }
        rest = &rest[end..];
        match rest.strip_prefix("::") {
            Some(after) if after.starts_with('{') => return (path, Some(&after[1..])),
            Some(after) if end > 0 => rest = after,
            _ => return (path, None),
        }
    }
}

/// The modules `source` (in module `at`) names through `crate::…` or `super::…` paths, groups
/// included (`super::{a, b}`), each resolved to the longest known module.
fn imports(at: &[String], source: &str, known: &[Vec<String>]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    // `super::` in a file's inline test module names the file's own module.
    let tests_from = source.find("#[cfg(test)]").unwrap_or(source.len());
    for (start, keyword) in [("crate::", None), ("super::", Some(()))] {
        for (i, _) in source.match_indices(start) {
            let before = source[..i].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let mut base: Vec<String> = match keyword {
                None => Vec::new(),
                Some(()) if i > tests_from => at.to_vec(),
                Some(()) => at[..at.len().saturating_sub(1)].to_vec(),
            };
            let (head, group) = leading_path(&source[i + start.len()..]);
            base.extend(head);
            let paths: Vec<Vec<String>> = match group {
                None => vec![base],
                Some(group) => group[..group.find('}').unwrap_or(group.len())]
                    .split(',')
                    .map(|item| [base.clone(), leading_path(item.trim()).0].concat())
                    .collect(),
            };
            for path in paths {
                let module = (0..=path.len())
                    .rev()
                    .map(|n| path[..n].to_vec())
                    .find(|prefix| known.contains(prefix));
                if let Some(module) = module.filter(|m| m.as_slice() != at) {
                    if !found.contains(&module) {
                        found.push(module);
                    }
                }
            }
        }
    }
    found
}

fn layer_of(module: &[String]) -> usize {
    let top = module.first().map_or("lib", String::as_str);
    LAYERS
        .iter()
        .position(|layer| layer.contains(&top))
        .unwrap_or_else(|| panic!("module {module:?} is in no layer: add it to LAYERS"))
}

/// The import graph of the crate at `src`.
fn graph(src: &str) -> Vec<(Vec<String>, Vec<Vec<String>>)> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(src);
    let modules = modules(&src);
    let known: Vec<Vec<String>> = modules.iter().map(|(m, _)| m.clone()).collect();
    modules
        .iter()
        .map(|(module, source)| (module.clone(), imports(module, source, &known)))
        .collect()
}

/// The groups of modules that import each other in a circle (Tarjan's strongly connected
/// components with more than one member).
fn cycles(graph: &[(Vec<String>, Vec<Vec<String>>)]) -> Vec<Vec<String>> {
    struct Search<'a> {
        graph: &'a [(Vec<String>, Vec<Vec<String>>)],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    impl Search<'_> {
        fn visit(&mut self, v: usize) {
            self.index[v] = Some(self.next);
            self.low[v] = self.next;
            self.next += 1;
            self.stack.push(v);
            self.on_stack[v] = true;
            let targets: Vec<usize> = self.graph[v]
                .1
                .iter()
                .filter_map(|t| self.graph.iter().position(|(m, _)| m == t))
                .collect();
            for w in targets {
                match self.index[w] {
                    None => {
                        self.visit(w);
                        self.low[v] = self.low[v].min(self.low[w]);
                    }
                    Some(index) if self.on_stack[w] => self.low[v] = self.low[v].min(index),
                    Some(_) => {}
                }
            }
            if Some(self.low[v]) == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack[w] = false;
                    component.push(self.graph[w].0.join("::"));
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let n = graph.len();
    let mut search = Search {
        graph,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in 0..n {
        if search.index[v].is_none() {
            search.visit(v);
        }
    }
    search.found
}

#[test]
fn api_modules_import_only_from_their_own_layer_or_below() {
    let mut wrong = Vec::new();
    for (module, targets) in graph("../api/src") {
        for target in targets {
            let upward = layer_of(&target) > layer_of(&module);
            // Handlers never import each other; only the route table (`routes` itself) names them.
            let sideways = module.len() > 1
                && module[0] == "routes"
                && target.len() > 1
                && target[0] == "routes"
                && module[1] != target[1];
            if upward || sideways {
                wrong.push(format!(
                    "{} imports {}",
                    module.join("::"),
                    target.join("::")
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the layers: {wrong:#?}");
}

#[test]
fn no_module_cycles_in_the_api_or_the_repositories() {
    assert_eq!(cycles(&graph("../api/src")), Vec::<Vec<String>>::new());
    let repositories: Vec<_> = graph("../persistence/src")
        .into_iter()
        .filter(|(module, _)| module.first().is_some_and(|m| m == "repo"))
        .collect();
    assert_eq!(cycles(&repositories), Vec::<Vec<String>>::new());
}

#[test]
fn the_layer_check_sees_an_upward_import_and_a_cycle() {
    let known = vec![
        vec!["http".to_owned()],
        vec!["routes".to_owned(), "incidents".to_owned()],
    ];
    let http = vec!["http".to_owned()];
    let found = imports(&http, "use crate::routes::incidents::list;", &known);
    assert_eq!(found, vec![known[1].clone()]);
    let grouped = imports(
        &http,
        "use crate::{routes::incidents::{self, list}};",
        &known,
    );
    assert_eq!(grouped, vec![known[1].clone()], "groups are read too");
    assert!(layer_of(&found[0]) > layer_of(&http));
    let circle = vec![
        (known[0].clone(), vec![known[1].clone()]),
        (known[1].clone(), vec![known[0].clone()]),
    ];
    assert_eq!(cycles(&circle).len(), 1);
}

/// Each repository stores one aggregate and calls no other repository: workflows across
/// aggregates live in the api's services, what events share in `persistence::events`, and the
/// rows a write refers to are read by the helpers of `repo` itself.
#[test]
fn repositories_are_leaves() {
    let mut wrong = Vec::new();
    for (module, targets) in graph("../persistence/src") {
        if module.len() != 2 || module[0] != "repo" {
            continue;
        }
        for target in targets {
            if target.len() == 2 && target[0] == "repo" {
                wrong.push(format!("{} calls {}", module.join("::"), target.join("::")));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "repositories calling each other: {wrong:#?}"
    );
}
